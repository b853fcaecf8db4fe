/**
 * A pool of Slurm batch jobs from the panel, on the test server's own
 * single-node Slurm: preview it (the batch script, the checks, the estimated
 * start), see a request over a partition's limit refused, start it while
 * another job holds the node so its job waits and says why, ask when it should
 * start, see it run with its time left and its output, stop it, and check that
 * no job is left in the queue.
 */
import { expect, test } from '@jupyterlab/galata';

import { API, openPanel, setTheme, snapshot, stopAllPools } from './helpers';
import { ISlurm, cancelJobs, holdJob, liveJobs, occupyNode, testSlurm } from './slurm';

const POOL = 'batch-pool';
const JOB = new RegExp(`^Job \\d+ of pool ${POOL}$`);

// tall enough for the whole Slurm form and its preview in the screenshots
test.use({ autoGoto: true, viewport: { width: 1280, height: 1600 } });

let slurm: ISlurm;
let blocker: string | null = null;

test.beforeAll(() => {
  slurm = testSlurm();
});

test.afterEach(async ({ page }) => {
  if (blocker) {
    cancelJobs(slurm, blocker);
    blocker = null;
  }
  await stopAllPools(page);
});

test('a Slurm pool: preview, queued with its reason, running, output, stopped', async ({
  page
}, testInfo) => {
  const panel = await openPanel(page);
  // room for the batch script and the job's output: a wider sidebar, Holdings folded
  await page.sidebar.setWidth(400, 'left');
  const holdings = panel.locator('.lm-AccordionPanel-title', { hasText: 'Holdings' });
  await holdings.click();
  await expect(holdings).toHaveAttribute('aria-expanded', 'false');
  const form = panel.getByRole('form', { name: 'New pool' });
  const preview = form.getByRole('region', { name: 'Preview' });

  await test.step('choose the Slurm backend: its options come with the partition limits', async () => {
    await form.getByRole('combobox', { name: 'Backend' }).selectOption('slurm');
    await expect(form.getByText('Engines run as batch jobs')).toBeVisible();
    // the partitions are what the server learnt from Slurm
    await expect(form.getByRole('combobox', { name: 'Partition' })).toHaveValue('main');
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('1');
    await form.getByRole('spinbutton', { name: 'Walltime (minutes)' }).fill('10');
    await form.getByRole('spinbutton', { name: 'Memory per engine (GB)' }).fill('0.5');
    await expect(form.getByText('partition main: at most 30', { exact: false })).toBeVisible();
    await expect(form.getByText(/1 node, \d+ cores and [\d.]+ GB per node, at most 30 min/)).toBeVisible();
  });

  await test.step('a request over the partition\'s limit fails its check and is refused', async () => {
    await form.getByRole('combobox', { name: 'Partition' }).selectOption('short');
    await expect(form.getByText('partition short: at most 5', { exact: false })).toBeVisible();
    await form.getByRole('button', { name: 'Preview' }).click();
    const check = preview.getByRole('list', { name: 'Checks' }).getByRole('listitem');
    await expect(check).toContainText("walltime 10:00 is over partition short's limit of 5:00");
    await expect(check.getByRole('img', { name: 'failed' })).toBeVisible();
    await expect(preview.getByLabel('Estimated start')).toHaveText(
      'no estimated start: the request fails a check'
    );
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(form.getByRole('alert')).toHaveText(
      "walltime 10:00 is over partition short's limit of 5:00"
    );
    await expect(panel.getByText('No pools yet.')).toBeVisible();
    await form.getByRole('combobox', { name: 'Partition' }).selectOption('main');
    // a changed form drops the preview of the old one
    await expect(preview).toHaveCount(0);
  });

  await test.step('another job takes the whole node', async () => {
    blocker = occupyNode(slurm);
    await expect.poll(() => liveJobs(slurm)[blocker!]?.state, { timeout: 30_000 }).toBe('RUNNING');
  });

  await test.step('preview: the exact batch script, the checks passed, an estimated start', async () => {
    await form.getByRole('button', { name: 'Preview' }).click();
    await expect(preview).toBeVisible();
    await expect(preview).toContainText('1 job of 1 engine');
    const script = preview.getByLabel('Batch script', { exact: true });
    await expect(script).toContainText('#SBATCH --time=0:10:00');
    await expect(script).toContainText('#SBATCH --partition=main');
    await expect(script).toContainText('#SBATCH --mem-per-cpu=512M');
    await expect(script).toContainText('srun ');
    const checks = preview.getByRole('list', { name: 'Checks' }).getByRole('listitem');
    await expect(checks).toHaveCount(1);
    await expect(checks).toContainText('fits partition main');
    await expect(checks.getByRole('img', { name: 'passed' })).toBeVisible();
    await expect(preview.getByLabel('Estimated start')).toHaveText(
      new RegExp(`^estimated start (\\S+ \\S+, )?\\d\\d:\\d\\d \\((now|in [^)]+)\\) on node ${slurm.node}$`)
    );
    await expect(preview.getByRole('button', { name: 'Copy batch script' })).toBeVisible();
    await snapshot(form, testInfo, 'slurm-preview-light.png');
  });

  const pool = panel.getByRole('listitem', { name: `Pool ${POOL}`, exact: true });
  const status = pool.getByRole('status');
  const job = pool.getByRole('listitem', { name: JOB });

  await test.step('start it: its job waits in the queue and says why', async () => {
    const started = Date.now();
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(pool).toBeVisible();
    await expect(status).toHaveText(/starting\s+0\/1 engines/);
    // the server asks Slurm about jobs every second while some wait, but backs off to
    // a minute while it has none, and a new pool does not cut that wait short
    await expect(job).toContainText('waiting in the queue: waiting for free nodes', {
      timeout: 90_000
    });
    await expect(job).toContainText('PENDING');
    console.log(`pool ${POOL}: ${Date.now() - started} ms from "Start pool" to its job shown pending`);
  });

  await test.step('held, the job says so; released, it waits for nodes again', async () => {
    const jobId = (await job.getAttribute('aria-label'))!.split(' ')[1];
    holdJob(slurm, jobId);
    await expect(job.locator('.jp-JasminJob-words')).toHaveText('held');
    holdJob(slurm, jobId, false);
    await expect(job.locator('.jp-JasminJob-words')).toHaveText(
      'waiting in the queue: waiting for free nodes'
    );
  });

  await test.step('ask the scheduler when the pending job should start', async () => {
    const estimate = job.getByRole('button', { name: /^Estimated start of job \d+$/ });
    const answer = job.locator('.jp-JasminJob-estimate');
    // the backfill scheduler has an estimate after its next pass (every second here)
    await expect(async () => {
      await estimate.click();
      await expect(answer).toHaveText(/^estimated start /, { timeout: 2_000 });
    }).toPass({ timeout: 30_000 });
    await expect(answer).toHaveText(
      new RegExp(`^estimated start (\\S+ \\S+, )?\\d\\d:\\d\\d \\((now|in [^)]+)\\) on node ${slurm.node}$`)
    );
    await snapshot(pool, testInfo, 'slurm-pool-pending-light.png');
  });

  await test.step('free the node: the job runs, with its node and time left', async () => {
    const freed = Date.now();
    cancelJobs(slurm, blocker!);
    blocker = null;
    await expect(status).toHaveText(/running\s+1\/1 engines/, { timeout: 120_000 });
    console.log(`pool ${POOL}: ${Date.now() - freed} ms from freeing the node to running 1/1`);
    await expect(job).toContainText('RUNNING');
    await expect(job).toContainText(
      new RegExp(`running on node ${slurm.node}, (9|10) min left`)
    );
    await expect(job.getByRole('button', { name: /Estimated start/ })).toHaveCount(0);
  });

  await test.step('show the job\'s output', async () => {
    await job.getByRole('button', { name: /^Show output of job \d+$/ }).click();
    const output = job.getByLabel(/^Output of job \d+$/);
    await expect(async () => {
      await job.getByRole('button', { name: /^Read the output of job \d+ again$/ }).click();
      await expect(output).toContainText('Completed registration', { timeout: 2_000 });
    }).toPass({ timeout: 30_000 });
    await expect(job.getByRole('button', { name: /^Hide output of job \d+$/ })).toHaveAttribute(
      'aria-expanded',
      'true'
    );
    await pool.locator('summary', { hasText: 'Engines' }).click();
    await expect(pool.getByRole('table', { name: `Engines of pool ${POOL}` })).toContainText(
      slurm.node
    );
    await snapshot(pool, testInfo, 'slurm-pool-light.png');
    await setTheme(page, 'JupyterLab Dark');
    await snapshot(pool, testInfo, 'slurm-pool-dark.png');
    await setTheme(page, 'JupyterLab Light');
  });

  await test.step('stop it: the pool leaves the panel and its job the queue', async () => {
    const jobId = (await job.getAttribute('aria-label'))!.split(' ')[1];
    const started = Date.now();
    await pool.getByRole('button', { name: `Stop pool ${POOL}` }).click();
    await expect(pool).toHaveCount(0, { timeout: 60_000 });
    console.log(`pool ${POOL}: ${Date.now() - started} ms from "Stop" to gone from the panel`);
    await expect(panel.getByText('No pools running.')).toBeVisible();
    expect(await (await page.request.get(`${API}/clusters`)).json()).toEqual({ clusters: [] });
    await expect
      .poll(() => Object.keys(liveJobs(slurm)), { timeout: 30_000 })
      .not.toContain(jobId);
    expect(liveJobs(slurm)).toEqual({});
  });
});
