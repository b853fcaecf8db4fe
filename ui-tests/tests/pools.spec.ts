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
  // in words, not only on hover
  await expect(panel.getByText(/^0 of \d+ cores? in use by your pools$/)).toBeVisible();

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
    await expect(panel.getByText(/^2 of \d+ cores? in use by your pools$/)).toBeVisible();
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

  await test.step('scale it to no engines: shown as empty, its snippet disabled', async () => {
    await pool.getByRole('spinbutton', { name: `Engines for pool ${POOL}` }).fill('0');
    await pool.getByRole('button', { name: `Scale pool ${POOL}` }).click();
    await expect(status).toHaveText(/empty\s+no engines: scale up to run work/, {
      timeout: 60_000
    });
    await expect(status).not.toContainText('running');
    await expect(insert).toBeDisabled();
    await expect(insert).toHaveAttribute('title', /has no engines: scale up to run work/);
    await expect(
      panel.getByRole('button', { name: `Copy snippet for pool ${POOL}` })
    ).toBeDisabled();
    await expect(panel.getByText(/^0 of \d+ cores? in use by your pools$/)).toBeVisible();
  });

  await test.step('stop the pool: it leaves the list and the server', async () => {
    const started = Date.now();
    await pool.getByRole('button', { name: `Stop pool ${POOL}` }).click();
    await expect(pool).toHaveCount(0, { timeout: 60_000 });
    console.log(`pool ${POOL}: ${Date.now() - started} ms from "Stop" to gone from the panel`);
    // not "yet": there were pools, they were stopped
    await expect(panel.getByText('No pools running.')).toBeVisible();

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

test('the form warns before a pool oversubscribes the VM, and refusals mark their field', async ({
  page
}) => {
  const panel = await openPanel(page);
  const form = panel.getByRole('form', { name: 'New pool' });
  const engines = form.getByRole('spinbutton', { name: 'Engines', exact: true });
  const resources = await (await page.request.get(`${API}/resources`)).json();
  const cores: number = resources.cores.usable;

  await test.step('more engines than cores: a warning, not a refusal', async () => {
    test.skip(cores >= 4, 'this VM has as many cores as the server allows engines');
    await engines.fill(String(cores + 1));
    const warning = form.getByText(`${cores + 1} engines on ${cores} core`);
    await expect(warning).toBeVisible();
    await expect(warning).toContainText(/each engine gets .* core/);
    await expect(engines).toHaveAttribute('aria-describedby', /.+/);
    await engines.fill(String(cores));
    await expect(warning).toHaveCount(0);
  });

  await test.step('a count over the limit: the form says so as the server would', async () => {
    await engines.fill('999');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(form.getByRole('alert')).toHaveText(
      'Engines must be at most 4 on this server (999 asked)'
    );
    await expect(engines).toHaveAttribute('aria-invalid', 'true');
    await engines.fill('1');
  });

  await test.step('the server refuses a niceness: that field is marked invalid', async () => {
    const nice = form.getByRole('spinbutton', { name: 'Niceness' });
    await nice.fill('20');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(form.getByRole('alert')).toHaveText(
      "Niceness ('nice') must be at most 19 (20 asked)"
    );
    await expect(nice).toHaveAttribute('aria-invalid', 'true');
    await expect(engines).not.toHaveAttribute('aria-invalid', 'true');
    await expect(panel.getByText('No pools yet.')).toBeVisible();
  });
});

test.describe('on a laptop screen', () => {
  // a 1080-pixel screen leaves the page about 1000 pixels
  test.use({ viewport: { width: 1280, height: 1000 } });

  test('the section in use is given the sidebar, the others sized to their content', async ({
  page
}) => {
  const panel = await openPanel(page);
  const pools = panel.locator('#jasmin-engine-pools');
  const holdings = panel.locator('.jp-JasminSection').nth(1);
  const height = async (section: typeof pools): Promise<number> =>
    (await section.boundingBox())?.height ?? 0;

  await test.step('using the holdings gives them the larger share', async () => {
    await panel.getByRole('searchbox', { name: 'Search datasets' }).focus();
    await expect.poll(async () => (await height(holdings)) > (await height(pools))).toBe(true);
  });

  await test.step('using the pools gives them the space: Start pool is in sight', async () => {
    await panel.getByRole('textbox', { name: 'Name' }).focus();
    await expect.poll(async () => (await height(pools)) > (await height(holdings))).toBe(true);
    await expect(panel.getByRole('button', { name: 'Start pool' })).toBeInViewport();
  });
});
});

test('a long pool name and narrow windows stay inside their boxes', async ({ page }) => {
  const name = 'a'.repeat(28) + '-long-pool-name-' + 'z'.repeat(20);
  expect(name).toHaveLength(64);
  const created = await page.request.post(`${API}/clusters`, {
    data: { name, engines: 1 }
  });
  expect(created.status()).toBe(202);
  const panel = await openPanel(page);
  const overflows = (locator: ReturnType<typeof panel.locator>) =>
    locator.evaluate(node => node.scrollWidth > node.clientWidth + 1);

  await test.step('the pool list and the pool picker cut the name, not the sidebar', async () => {
    const pool = panel.getByRole('listitem', { name: `Pool ${name}`, exact: true });
    await expect(pool.getByRole('status')).toHaveText(/running\s+1\/1 engines/, {
      timeout: 60_000
    });
    expect(await overflows(pool)).toBe(false);
    const picker = panel.getByRole('combobox', { name: 'Pool for the selection' });
    await expect(picker.locator('option:checked')).toContainText(name);
    const section = panel.locator('.jp-JasminSection').nth(1);
    const [box, inside] = [await picker.boundingBox(), await section.boundingBox()];
    expect(box!.x + box!.width).toBeLessThanOrEqual(inside!.x + inside!.width + 1);
  });

  for (const width of [800, 640]) {
    await test.step(`a dataset page at ${width} px keeps its path, chips and Draw in sight`, async () => {
      await page.setViewportSize({ width, height: 700 });
      await runCommand(page, 'jasmin:open-dataset', {
        holding: 'cmip6-sample',
        id: 'CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311'
      });
      const view = page.locator('.jp-JasminDataset:visible');
      await expect(view.locator('.jp-JasminDataset-path').first()).toBeVisible();
      expect(await overflows(view)).toBe(false);
    });
  }
});
