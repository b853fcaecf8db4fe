/**
 * The "Data used" section as a user meets it: a notebook opens a dataset of
 * the CMIP6 sample archive, and the panel lists it for that notebook, with its
 * files and tracking ids, ready to copy for a data statement. Real server,
 * real index, real kernel.
 */
import { expect, test } from '@jupyterlab/galata';

import { API, openPanel, snapshot } from './helpers';

const HOLDING = 'cmip6-sample';
const DATASET = 'CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311';

test.use({ autoGoto: true, viewport: { width: 1440, height: 900 } });

test('a dataset a notebook opened is listed under Data used', async ({ page }, testInfo) => {
  await test.step('the sample archive is indexed', async () => {
    await expect
      .poll(async () => (await (await page.request.get(`${API}/holdings/${HOLDING}`)).json()).state, {
        timeout: 120_000
      })
      .toBe('ready');
  });

  const panel = await openPanel(page);
  const section = panel.locator('#jasmin-citations');
  const copy = section.getByRole('button', { name: 'Copy citations' });

  await test.step('without a notebook, the section says to open one', async () => {
    await expect(section.getByText('Open a notebook to see the datasets its kernel used.')).toBeVisible();
    await expect(copy).toBeDisabled();
  });

  const notebook = await test.step('a new notebook opens a dataset', async () => {
    const name = (await page.notebook.createNew()) ?? 'Untitled.ipynb';
    await page.notebook.setCell(
      0,
      'code',
      `from jupyter_jasmin import holdings\nds = holdings.open("${HOLDING}", "${DATASET}")\nprint(ds.sizes["time"])`
    );
    await page.notebook.runCell(0, { inplace: true });
    const output = await page.notebook.getCellOutputLocator(0);
    await expect(output!).toContainText('780');
    return name;
  });

  await test.step('the panel lists it for that notebook', async () => {
    await expect(panel).toBeVisible(); // still open beside the notebook
    const used = section.getByRole('list', { name: `Used by ${notebook}` });
    const item = used.getByRole('listitem');
    await expect(item).toHaveCount(1);
    await expect(item).toContainText(DATASET);
    await expect(item).toContainText(
      `version v20190311 · holding ${HOLDING} · 7 files · 7 tracking ids`
    );
    await expect(copy).toBeEnabled();
    await snapshot(section, testInfo, 'data-used.png');
  });

  await test.step('Copy citations copies the list', async () => {
    await copy.click();
    await expect(page.getByText('Citations copied')).toBeVisible();
  });
});
