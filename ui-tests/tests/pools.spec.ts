/**
 * The JASMIN panel as a user drives it: start an engine pool, use it from a
 * notebook, scale it, stop it. Real server, real ipyparallel engines.
 */
import { expect, test } from '@jupyterlab/galata';

import {
  API,
  openPanel,
  runCommand,
  setTheme,
  snapshot,
  stopAllPools
} from './helpers';

const POOL = 'ui-pool';

test.use({ autoGoto: true });

test.afterEach(async ({ page }) => {
  await stopAllPools(page);
});

test('start a pool, map over it from a notebook, scale it and stop it', async ({
  page
}, testInfo) => {
  const panel = await test.step('open the JASMIN panel from the left sidebar', () =>
    openPanel(page)
  );
  await expect(panel.getByText('No pools yet.')).toBeVisible();
  // the resources line (the backend picker also speaks of cores)
  await expect(panel.getByText('Cores', { exact: true })).toBeVisible();

  const pool = panel.getByRole('listitem', { name: `Pool ${POOL}`, exact: true });
  const status = pool.getByRole('status');

  await test.step('start a 2-engine pool from the New pool form', async () => {
    const form = panel.getByRole('form', { name: 'New pool' });
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('2');
    const started = Date.now();
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(pool).toBeVisible();
    // timing only: watch the DOM more finely than expect's retries do
    await page.waitForFunction(
      name =>
        /running\s+2\/2 engines/.test(
          document.querySelector(`li[aria-label="Pool ${name}"] [role="status"]`)
            ?.textContent ?? ''
        ),
      POOL,
      { polling: 50, timeout: 60_000 }
    );
    const shown = Date.now() - started;
    await expect(status).toHaveText(/running\s+2\/2 engines/);
    const { clusters } = await (await page.request.get(`${API}/clusters`)).json();
    console.log(
      `pool ${POOL}: ${shown} ms from "Start pool" to running 2/2 in the panel ` +
        `(server: ready after ${clusters[0]?.ready_seconds} s)`
    );
    await expect(pool.getByRole('progressbar')).toHaveCount(0);
  });

  const insert = panel.getByRole('button', { name: `Insert snippet for pool ${POOL}` });
  await test.step('without a notebook, the snippet cannot be inserted', async () => {
    await expect(insert).toBeDisabled();
    await expect(insert).toHaveAttribute('title', 'Open a notebook to insert the snippet');
  });

  await test.step('insert the snippet into a new notebook and map over the engines', async () => {
    await page.notebook.createNew();
    await expect(insert).toBeEnabled();
    await insert.click();
    // a new notebook has one empty cell; the snippet goes below it
    await expect.poll(() => page.notebook.getCellTextInput(1)).toContain('ipp.Client(');

    // run in place (Ctrl+Enter): Shift+Enter on the last cell would add one
    await page.notebook.runCell(1, { inplace: true });
    const connected = await page.notebook.getCellOutputLocator(1);
    await expect(connected!).toContainText(`Connected to 2 engines of pool ${POOL}`);

    await page.notebook.addCell('code', 'print(view.map_sync(lambda x: x * x, range(6)))');
    await page.notebook.runCell(2, { inplace: true });
    const squares = await page.notebook.getCellOutputLocator(2);
    await expect(squares!).toContainText('[0, 1, 4, 9, 16, 25]');
  });

  await test.step('copy the snippet to the clipboard', async () => {
    await panel.getByRole('button', { name: `Copy snippet for pool ${POOL}` }).click();
    await expect(page.getByText(`Snippet for pool ${POOL} copied`)).toBeVisible();
  });

  await test.step('screenshots of the panel in the light and dark themes', async () => {
    await pool.locator('summary', { hasText: 'Engines' }).click();
    await expect(pool.getByRole('table', { name: `Engines of pool ${POOL}` })).toBeVisible();
    await expect(
      pool.getByRole('table', { name: `Engines of pool ${POOL}` }).getByRole('row')
    ).toHaveCount(3);
    await snapshot(panel, testInfo, 'panel-light.png');

    await setTheme(page, 'JupyterLab Dark');
    await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
    await snapshot(panel, testInfo, 'panel-dark.png');
    await setTheme(page, 'JupyterLab Light');
  });

  await test.step('scale the pool down to one engine', async () => {
    await pool.getByRole('spinbutton', { name: `Engines for pool ${POOL}` }).fill('1');
    await pool.getByRole('button', { name: `Scale pool ${POOL}` }).click();
    await expect(status).toHaveText(/running\s+1\/1 engines/, { timeout: 60_000 });
  });

  await test.step('stop the pool: it leaves the list and the server', async () => {
    const started = Date.now();
    await pool.getByRole('button', { name: `Stop pool ${POOL}` }).click();
    await expect(pool).toHaveCount(0, { timeout: 60_000 });
    console.log(`pool ${POOL}: ${Date.now() - started} ms from "Stop" to gone from the panel`);
    await expect(panel.getByText('No pools yet.')).toBeVisible();

    const response = await page.request.get(`${API}/clusters`);
    expect(response.ok()).toBe(true);
    expect(await response.json()).toEqual({ clusters: [] });
  });
});

test('the New pool form shows the server refusing a bad name', async ({ page }) => {
  const panel = await openPanel(page);
  const form = panel.getByRole('form', { name: 'New pool' });
  await form.getByRole('textbox', { name: 'Name' }).fill('-bad name');
  await form.getByRole('button', { name: 'Start pool' }).click();
  await expect(form.getByRole('alert')).toContainText("'name' must be");
  await expect(panel.getByText('No pools yet.')).toBeVisible();
});

test('the "New engine pool" command opens the panel at the form', async ({ page }) => {
  await expect(page.locator('#jasmin-panel')).toBeHidden();
  await runCommand(page, 'jasmin:new-pool');
  const panel = page.locator('#jasmin-panel');
  await expect(panel).toBeVisible();
  await expect(
    panel.getByRole('form', { name: 'New pool' }).getByRole('textbox', { name: 'Name' })
  ).toBeFocused();
  // the form's defaults come from the server: engines bounded by its limit
  const engines = panel.getByRole('spinbutton', { name: 'Engines', exact: true });
  await expect(engines).toHaveAttribute('max', '4');
  await expect(engines).not.toHaveValue('');
});
