/**
 * Galata (Playwright) configuration for the jupyter-jasmin browser tests.
 *
 * The server runs from `jupyter_server_test_config.py` on a fixed port of its
 * own; the browser is the system Chromium (Playwright's download is not used).
 */
const baseConfig = require('@jupyterlab/galata/lib/playwright-config');

const PORT = 8894;
const BASE_URL = `http://localhost:${PORT}`;

module.exports = {
  ...baseConfig,
  // pools start real processes on a 2-core machine: one test at a time
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 180 * 1000,
  expect: { timeout: 30 * 1000 },
  reporter: [['list'], ['html', { open: 'never' }]],
  use: {
    ...baseConfig.use,
    baseURL: BASE_URL,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium'
    },
    actionTimeout: 30 * 1000,
    trace: 'retain-on-failure',
    video: 'off'
  },
  webServer: {
    command: 'jlpm start',
    url: `${BASE_URL}/lab`,
    timeout: 120 * 1000,
    reuseExistingServer: false,
    // SIGTERM lets the server stop its pools, then its test Slurm (cancelling every
    // job, waiting for them to end); Playwright's default, SIGKILL of the process
    // group, would leave the engines and Slurm's daemons (in sessions of their own)
    gracefulShutdown: { signal: 'SIGTERM', timeout: 60 * 1000 },
    stdout: 'ignore',
    stderr: 'pipe'
  }
};
