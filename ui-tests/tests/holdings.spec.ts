/**
 * The Holdings section as a user drives it: find a dataset of the CMIP6
 * sample archive by facets, look inside it (metadata, quick-look), and
 * analyse it on an engine pool from a notebook. Real server, real index,
 * real xarray workers and ipyparallel engines.
 */
import { expect, test } from '@jupyterlab/galata';
import type { Page } from '@playwright/test';

import {
  API,
  openPanel,
  runCommand,
  setTheme,
  snapshot,
  stopAllPools
} from './helpers';

const HOLDING = 'cmip6-sample';
const DATASET = 'CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311';
/** The tab title: the id without the publisher facets (mip_era, activity_id, institution_id). */
const TAB = 'MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311';
const POOL = 'ui-holdings';

/** Milliseconds until `predicate` holds in the page, watched every 50 ms (for timings). */
async function timeUntil(
  page: Page,
  started: number,
  predicate: () => boolean
): Promise<number> {
  await page.waitForFunction(predicate, undefined, { polling: 50, timeout: 60_000 });
  return Date.now() - started;
}

test.use({ autoGoto: true, viewport: { width: 1440, height: 900 } });

test.afterEach(async ({ page }) => {
  await stopAllPools(page);
});

test('find a dataset by facets, look inside it and analyse it on a pool', async ({
  page
}, testInfo) => {
  const panel = await openPanel(page);
  const section = panel.locator('#jasmin-holdings');
  const found = section.getByRole('status', { name: 'Datasets found' });
  const results = section.getByRole('list', { name: 'Datasets' }).getByRole('listitem');
  const chips = section.getByRole('list', { name: 'Selected filters' });

  await test.step('the sample archive is indexed and ready', async () => {
    const holding = section.getByRole('combobox', { name: 'Holding' });
    await expect(holding).toHaveValue(HOLDING);
    await expect(holding.locator('option:checked')).toHaveText(
      `${HOLDING} (76 datasets, 326 files)`
    );
    const status = section.getByRole('status', { name: `Status of ${HOLDING}` });
    await expect(status).toHaveText(/ready\s+76 datasets · 326 files/);
    await expect(section.getByText('Every file matched the cmip6 DRS')).toBeVisible();
    await expect(section.getByRole('button', { name: `Refresh index of ${HOLDING}` })).toBeEnabled();
    await expect(found).toHaveText('76 datasets');
    await expect(results).toHaveCount(20);
    await expect(section.getByRole('checkbox', { name: 'Latest versions only' })).toBeChecked();
  });

  await test.step('refresh the index: it is scanned again and stays ready', async () => {
    const status = section.getByRole('status', { name: `Status of ${HOLDING}` });
    const refresh = section.getByRole('button', { name: `Refresh index of ${HOLDING}` });
    const answered = page.waitForResponse(
      response =>
        new URL(response.url()).pathname.endsWith(`${API}/holdings/${HOLDING}/refresh`) &&
        response.request().method() === 'POST'
    );
    await refresh.click();
    expect((await answered).status()).toBe(202);
    await expect(refresh).toBeEnabled();
    await expect(status).toHaveText(/ready\s+76 datasets · 326 files/);
    await expect(found).toHaveText('76 datasets');
  });

  await test.step('page through the results', async () => {
    await expect(section.getByText('1–20 of 76')).toBeVisible();
    await section.getByRole('button', { name: 'Next page' }).click();
    await expect(section.getByText('21–40 of 76')).toBeVisible();
    await section.getByRole('button', { name: 'Previous page' }).click();
    await expect(section.getByText('1–20 of 76')).toBeVisible();
  });

  await test.step('search by text, then clear it', async () => {
    await section.getByRole('searchbox', { name: 'Search datasets' }).fill('miroc6 amon');
    await expect(found).toHaveText('1 dataset');
    await expect(chips.getByRole('button', { name: 'Remove search text miroc6 amon' })).toBeVisible();
    await section.getByRole('button', { name: 'Clear all' }).click();
    await expect(found).toHaveText('76 datasets');
    await expect(section.getByRole('searchbox', { name: 'Search datasets' })).toHaveValue('');
  });

  await test.step('drill down: table_id Amon, then source_id MIROC6', async () => {
    const tableId = section.getByRole('button', { name: 'table_id', exact: true });
    await tableId.click();
    await expect(tableId).toHaveAttribute('aria-expanded', 'true');
    await section.getByRole('checkbox', { name: 'table_id Amon (42)' }).check();
    await expect(found).toHaveText('42 datasets');
    await expect(chips.getByRole('button', { name: 'Remove table_id Amon' })).toBeVisible();

    await section.getByRole('button', { name: 'source_id', exact: true }).click();
    // 42 models under Amon: the group lists a few until asked for all
    await section.getByRole('button', { name: 'Show all 42 source_id values' }).click();
    await section.getByRole('checkbox', { name: 'source_id MIROC6 (1)' }).check();
    await expect(found).toHaveText('1 dataset');
    await expect(results).toHaveCount(1);
    await expect(results.first()).toContainText(DATASET);
    await expect(results.first()).toContainText('7 files');
    await expect(results.first()).toContainText('1950-01 – 2014-12');
    await expect(results.first()).toContainText('latest');
  });

  await test.step('remove a chip: the count grows; add it again', async () => {
    await chips.getByRole('button', { name: 'Remove table_id Amon' }).click();
    await expect(found).toHaveText('2 datasets');
    // the facet's counts follow the other facets' selection (ESGF style)
    await section.getByRole('checkbox', { name: 'table_id Amon (1)' }).check();
    await expect(found).toHaveText('1 dataset');
    await expect(chips.getByRole('listitem')).toHaveCount(2);
  });

  const view = page.getByRole('article', { name: `Dataset ${DATASET}` });
  const analyse = view.getByRole('button', { name: 'Insert analyse-on-pool snippet' });

  await test.step('open the dataset: metadata and quick-look load on their own', async () => {
    const started = Date.now();
    await section.getByRole('button', { name: `Open dataset ${DATASET}` }).press('Enter');
    await expect(page.getByRole('tab', { name: TAB })).toBeVisible();
    await expect(view).toBeVisible();
    await expect(view.getByRole('heading', { level: 1 })).toHaveText(DATASET);

    const metadataMs = await timeUntil(page, started, () =>
      Boolean(document.querySelector('table[aria-label="Data variables"]'))
    );
    const pictureMs = await timeUntil(page, started, () => {
      const img = document.querySelector<HTMLImageElement>('.jp-JasminQuicklook-figure img');
      return Boolean(img && img.complete && img.naturalWidth > 0);
    });
    const served = await page.evaluate(() =>
      performance
        .getEntriesByType('resource')
        .filter(entry => /\/(metadata|quicklook\.png)/.test(entry.name))
        .map(entry => `${entry.name.split('/').pop()?.split('?')[0]} ${Math.round(entry.duration)} ms`)
    );
    console.log(
      `dataset view: metadata shown after ${metadataMs} ms, quick-look after ${pictureMs} ms ` +
        `(requests: ${served.join(', ')})`
    );

    const summary = view.getByRole('region', { name: 'Summary' });
    await expect(summary).toContainText('v20190311');
    await expect(summary).toContainText('1950-01 – 2014-12');
    await expect(view.getByRole('table', { name: 'Files' }).getByRole('row')).toHaveCount(8);

    const variables = view.getByRole('table', { name: 'Data variables' });
    const ta = variables
      .getByRole('row')
      .filter({ has: page.getByRole('rowheader', { name: 'ta', exact: true }) });
    await expect(ta).toContainText('air_temperature');
    await expect(ta.getByRole('cell', { name: 'K', exact: true })).toBeVisible();
    await expect(ta).toContainText('780 × 2 × 2 × 2');
    await expect(
      view.getByRole('list', { name: 'Dimensions' }).getByRole('listitem').filter({ hasText: /^time\s*780$/ })
    ).toBeVisible();
    await expect(view.getByRole('table', { name: 'Coordinates' })).toContainText('days since 1850-1-1');

    const picture = view.getByRole('img', { name: `Quick-look of ta in ${DATASET}` });
    await expect(picture).toBeVisible();
    expect(await picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
    await expect(view.getByRole('combobox', { name: 'Variable for quick-look' })).toHaveValue('ta');
    // bounds are not offered for a picture
    await expect(
      view.getByRole('combobox', { name: 'Variable for quick-look' }).locator('option')
    ).toHaveText(['ta']);

    // nothing to analyse on and nowhere to insert yet: the buttons say why
    await expect(analyse).toBeDisabled();
    await expect(analyse).toHaveAttribute('title', /Start an engine pool/);
    await expect(view.getByRole('button', { name: 'Insert open snippet' })).toBeDisabled();
  });

  await test.step('the quick-look of another level: the pickers show what is drawn', async () => {
    const level = view.getByRole('combobox', { name: 'Level for quick-look' });
    const picture = view.getByRole('img', { name: `Quick-look of ta in ${DATASET}` });
    const caption = view.locator('.jp-JasminQuicklook-figure figcaption');
    await expect(level.locator('option')).toHaveText(['1000 hPa', '925 hPa']);
    await expect(level.locator('option:checked')).toHaveText('1000 hPa');
    await expect(view.getByRole('textbox', { name: 'Time step for quick-look' })).toHaveValue(
      '1950-01'
    );
    await expect(caption).toContainText('1950-01, 1000 hPa; drawn in');
    const before = await picture.getAttribute('src');
    await level.selectOption({ label: '925 hPa' });
    await expect(caption).toContainText('1950-01, 925 hPa; drawn in');
    await expect(picture).not.toHaveAttribute('src', before ?? '');
    expect(await picture.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  });

  await test.step('the quick-look of another time step, and bad ones', async () => {
    const time = view.getByRole('textbox', { name: 'Time step for quick-look' });
    const caption = view.locator('.jp-JasminQuicklook-figure figcaption');
    await time.fill('abc');
    await time.press('Enter');
    const alert = view.getByRole('alert');
    await expect(alert).toContainText("no time step matches 'abc'");
    await expect(alert).toContainText('give a step index 0..779');
    await expect(alert).toContainText('1950-06 or 1950-06-15');
    await expect(alert).toContainText('runs from 1950-01 to 2014-12 (780 steps)');
    // the picture under the error is stale: no "Drawn in" for it
    await expect(caption).toHaveCount(0);
    await expect(view.locator('.jp-JasminQuicklook-figure.jp-mod-stale')).toBeVisible();
    await time.fill('99999');
    await view.getByRole('button', { name: 'Draw quick-look' }).click();
    await expect(view.getByRole('alert')).toContainText('time index 99999 is outside 0..779');
    await time.fill('1990-06');
    await time.press('Enter');
    const picture = view.getByRole('img', { name: `Quick-look of ta in ${DATASET} at 1990-06` });
    await expect(picture).toBeVisible();
    await expect(view.getByRole('alert')).toHaveCount(0);
    await expect(caption).toContainText('1990-06, 925 hPa; drawn in');
  });

  await test.step('start a 2-engine pool from the Engine pools section', async () => {
    const form = panel.getByRole('form', { name: 'New pool' });
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('2');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(
      panel.getByRole('listitem', { name: `Pool ${POOL}` }).getByRole('status')
    ).toHaveText(/running\s+2\/2 engines/, { timeout: 60_000 });
  });

  await test.step('analyse the dataset on the pool from a new notebook', async () => {
    await page.notebook.createNew();
    await page.getByRole('tab', { name: TAB }).click();
    const pool = view.getByRole('combobox', { name: 'Pool for analysis' });
    await expect(pool.locator('option:checked')).toHaveText(`${POOL} (2 engines)`);
    await expect(analyse).toBeEnabled();
    await analyse.click();

    // the notebook comes forward with the snippet below its (empty) first cell
    await expect.poll(() => page.notebook.getCellTextInput(1)).toContain('pmap(area_mean, files, pool=');
    const started = Date.now();
    await page.notebook.runCell(1, { inplace: true });
    const output = await page.notebook.getCellOutputLocator(1);
    await expect(output!).toContainText('xarray.DataArray', { timeout: 120_000 });
    await expect(output!).toContainText('time: 780');
    await expect(output!).toContainText('plev: 2');
    console.log(`analyse-on-pool snippet: ${Date.now() - started} ms to run on ${POOL}`);
  });

  await test.step('insert the open snippet and run it', async () => {
    await page.getByRole('tab', { name: TAB }).click();
    await view.getByRole('button', { name: 'Insert open snippet' }).click();
    await expect.poll(() => page.notebook.getCellTextInput(2)).toContain('holdings.open(');
    await page.notebook.runCell(2, { inplace: true });
    const output = await page.notebook.getCellOutputLocator(2);
    await expect(output!).toContainText('xarray.Dataset', { timeout: 60_000 });
    await expect(output!).toContainText('air_temperature');
  });

  await test.step('stop the pool: the analyse button says why it is off', async () => {
    const pool = panel.getByRole('listitem', { name: `Pool ${POOL}` });
    await pool.getByRole('button', { name: `Stop pool ${POOL}` }).click();
    await expect(pool).toHaveCount(0, { timeout: 60_000 });
    await page.getByRole('tab', { name: TAB }).click();
    await expect(view.getByRole('combobox', { name: 'Pool for analysis' })).toBeDisabled();
    await expect(analyse).toBeDisabled();
  });

  await test.step('screenshots of the section and the dataset view, light and dark', async () => {
    // give the Holdings section the whole sidebar, with the search narrowed
    await panel.getByLabel('Engine pools Section').click();
    await section.getByRole('button', { name: 'source_id', exact: true }).click();
    await expect(found).toHaveText('1 dataset');
    await section.evaluate(node => node.scrollTo(0, 0));
    const tab = page.locator('.jp-JasminDatasetPanel');
    await snapshot(section, testInfo, 'holdings-light.png');
    await snapshot(tab, testInfo, 'holdings-dataset-light.png');

    await setTheme(page, 'JupyterLab Dark');
    await expect(page.locator('body')).toHaveAttribute('data-jp-theme-light', 'false');
    await expect(view.getByRole('img', { name: /^Quick-look of ta/ })).toBeVisible();
    await snapshot(section, testInfo, 'holdings-dark.png');
    await snapshot(tab, testInfo, 'holdings-dataset-dark.png');
    await setTheme(page, 'JupyterLab Light');
  });
});

test('the "Search dataset holdings" command opens the panel at the search box', async ({
  page
}) => {
  await expect(page.locator('#jasmin-panel')).toBeHidden();
  await runCommand(page, 'jasmin:search-holdings');
  const section = page.locator('#jasmin-holdings');
  const search = section.getByRole('searchbox', { name: 'Search datasets' });
  await expect(search).toBeFocused();
  await page.keyboard.type('GFDL');
  await expect(section.getByRole('status', { name: 'Datasets found' })).toHaveText(/^[1-9]\d* datasets?$/);
  await expect(
    section.getByRole('list', { name: 'Datasets' }).getByRole('listitem').first()
  ).toContainText('GFDL');
});

test('a second dataset reuses the dataset tab; Ctrl-click and the context menu open new ones', async ({
  page
}) => {
  const panel = await openPanel(page);
  const section = panel.locator('#jasmin-holdings');
  const openers = section
    .getByRole('list', { name: 'Datasets' })
    .getByRole('button', { name: /^Open dataset / });
  const tabs = page.locator('.jp-JasminDatasetPanel');
  const search = section.getByRole('searchbox', { name: 'Search datasets' });
  await search.fill('Amon');
  await search.press('Enter');
  await expect(openers.nth(3)).toBeVisible();
  const ids = await Promise.all(
    [0, 1, 2, 3].map(i => openers.nth(i).getAttribute('data-dataset-id'))
  );
  const shown = (id: string | null) =>
    page.getByRole('article', { name: `Dataset ${id}` });

  await test.step('the first dataset opens a tab, the second replaces its content', async () => {
    await openers.nth(0).click();
    await expect(shown(ids[0])).toBeVisible();
    await openers.nth(1).click();
    await expect(shown(ids[1])).toBeVisible();
    await expect(shown(ids[0])).toHaveCount(0);
    await expect(tabs).toHaveCount(1);
  });

  await test.step('Ctrl-click opens a dataset in a tab of its own', async () => {
    await openers.nth(2).click({ modifiers: ['ControlOrMeta'] });
    await expect(shown(ids[2])).toBeVisible();
    await expect(tabs).toHaveCount(2);
  });

  await test.step('so does "Open in New Tab" from the context menu', async () => {
    await openers.nth(3).click({ button: 'right' });
    await page.getByRole('menuitem', { name: 'Open in New Tab' }).click();
    await expect(shown(ids[3])).toBeVisible();
    await expect(tabs).toHaveCount(3);
  });

  await test.step('a dataset already shown comes forward, no tab is added', async () => {
    await openers.nth(1).click();
    await expect(shown(ids[1])).toBeVisible();
    await expect(tabs).toHaveCount(3);
  });
});
