/**
 * From the panel to a plotted multi-model result in one cell: narrow the
 * sample archive to a few models, insert the analyse-selection snippet into a
 * notebook and run it on a 2-engine pool. Real server, index, pool and kernel.
 */
import { expect, test } from '@jupyterlab/galata';

import { openPanel, snapshot, stopAllPools } from './helpers';

const POOL = 'ui-models';

test.use({ autoGoto: true, viewport: { width: 1440, height: 900 } });

test.afterEach(async ({ page }) => {
  await stopAllPools(page);
});

test('analyse a selection of models on a pool and plot it in one cell', async ({
  page
}, testInfo) => {
  const panel = await openPanel(page);
  const section = panel.locator('#jasmin-holdings');
  const found = section.getByRole('status', { name: 'Datasets found' });
  const insert = section.getByRole('button', { name: 'Insert analyse-selection snippet' });

  await test.step('without a notebook the button says why it is off', async () => {
    await expect(found).toHaveText('76 datasets');
    await expect(insert).toHaveAttribute('aria-disabled', 'true');
    await expect(insert).toHaveAttribute('title', /Open a notebook/);
  });

  await test.step('start a 2-engine pool', async () => {
    const form = panel.getByRole('form', { name: 'New pool' });
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('2');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(
      panel.getByRole('listitem', { name: `Pool ${POOL}` }).getByRole('status')
    ).toHaveText(/running\s+2\/2 engines/, { timeout: 60_000 });
  });

  await test.step('select the monthly datasets of three models', async () => {
    await page.notebook.createNew();
    await section.getByRole('searchbox', { name: 'Search datasets' }).fill('amon');
    await expect(found).toHaveText('42 datasets');
    await section.getByRole('button', { name: 'source_id', exact: true }).click();
    await section.getByRole('button', { name: 'Show all 42 source_id values' }).click();
    for (const model of ['MIROC6', 'MRI-ESM2-0', 'CanESM5']) {
      await section.getByRole('checkbox', { name: `source_id ${model} (1)` }).check();
    }
    await expect(found).toHaveText('3 datasets');
    const pool = section.getByRole('combobox', { name: 'Pool for the selection' });
    await expect(pool.locator('option:checked')).toHaveText(`${POOL} (2 engines)`);
    await expect(section.getByText('Analyse 3 selected datasets on')).toBeVisible();
  });

  await test.step('insert the snippet and run it: one figure, a line per model', async () => {
    await expect(insert).toHaveAttribute('aria-disabled', 'false');
    await insert.click();
    await expect
      .poll(() => page.notebook.getCellTextInput(1))
      .toContain(`pmap(global_mean, items, pool='${POOL}')`);
    const started = Date.now();
    await page.notebook.runCell(1, { inplace: true });
    const output = await page.notebook.getCellOutputLocator(1);
    await expect(output!.locator('img')).toBeVisible({ timeout: 120_000 });
    console.log(`analyse-selection snippet: ${Date.now() - started} ms for 3 models on ${POOL}`);
    await expect(output!).not.toContainText('Error');
    await snapshot(output!, testInfo, 'analyse-selection-plot.png');
  });
});
