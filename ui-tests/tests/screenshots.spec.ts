/**
 * Screenshots of the panel for people to look at (issue 15, Tests): a running
 * pool, holdings results and a dataset page with its quick-look, in the light
 * and dark themes at 1440 and 800 px wide. Saved under ui-tests/artifacts/ and
 * kept by CI; not compared against baselines.
 */
import { expect, test } from '@jupyterlab/galata';

import { openPanel, runCommand, setTheme, snapshot, stopAllPools } from './helpers';

const HOLDING = 'cmip6-sample';
const DATASET = 'CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311';
const POOL = 'ui-screenshots';
const WIDTHS = [1440, 800];
const THEMES = [
  { name: 'light', theme: 'JupyterLab Light' },
  { name: 'dark', theme: 'JupyterLab Dark' }
];

test.use({ autoGoto: true, viewport: { width: 1440, height: 900 } });

test.afterEach(async ({ page }) => {
  await stopAllPools(page);
});

test('the panel and a dataset page, light and dark, wide and narrow', async ({
  page
}, testInfo) => {
  const panel = await openPanel(page);
  const pool = panel.getByRole('listitem', { name: `Pool ${POOL}` });
  const section = panel.locator('#jasmin-holdings');
  const found = section.getByRole('status', { name: 'Datasets found' });
  const view = page.getByRole('article', { name: `Dataset ${DATASET}` });
  const tab = page.locator('.jp-JasminDatasetPanel');

  await test.step('a running pool of two engines', async () => {
    const form = panel.getByRole('form', { name: 'New pool' });
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('2');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(pool.getByRole('status')).toHaveText(/running\s+2\/2 engines/, {
      timeout: 60_000
    });
  });

  await test.step('holdings results for a search', async () => {
    const search = section.getByRole('searchbox', { name: 'Search datasets' });
    await search.fill('MIROC6');
    await search.press('Enter');
    await expect(found).toHaveText(/^[1-9]\d* datasets?$/);
  });

  await test.step('a dataset page with its quick-look', async () => {
    await runCommand(page, 'jasmin:open-dataset', { holding: HOLDING, id: DATASET });
    await expect(view.getByRole('table', { name: 'Data variables' })).toBeVisible({
      timeout: 60_000
    });
    await expect(view.getByRole('img', { name: /^Quick-look of/ })).toBeVisible({
      timeout: 60_000
    });
  });

  for (const width of WIDTHS) {
    for (const { name, theme } of THEMES) {
      await test.step(`${name} theme, ${width} px wide`, async () => {
        await page.setViewportSize({ width, height: 900 });
        await setTheme(page, theme);
        // the picture is drawn again for the theme: wait for the new one
        await expect(view.getByRole('status')).toHaveCount(0, { timeout: 60_000 });
        await expect(view.getByRole('img', { name: /^Quick-look of/ })).toBeVisible();
        await expect(pool.getByRole('status')).toHaveText(/running/);
        // the section in use is given the sidebar: the pools, then the holdings
        await pool.getByRole('status').click();
        await snapshot(panel, testInfo, `panel-${name}-${width}.png`);
        await found.click();
        await snapshot(panel, testInfo, `panel-holdings-${name}-${width}.png`);
        await snapshot(tab, testInfo, `dataset-${name}-${width}.png`);
        await snapshot(page.locator('#main'), testInfo, `lab-${name}-${width}.png`);
      });
    }
  }
  await setTheme(page, 'JupyterLab Light');
});
