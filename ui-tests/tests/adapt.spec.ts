/**
 * Adaptive scaling from the panel: a pool given a range grows while a notebook's
 * map waits on it, says so in words, and goes back to a fixed count on request.
 * Real server, pool and kernel.
 */
import { expect, test } from '@jupyterlab/galata';

import { openPanel, stopAllPools } from './helpers';

const POOL = 'ui-adapt';

test.use({ autoGoto: true, viewport: { width: 1440, height: 900 } });

test.afterEach(async ({ page }) => {
  await stopAllPools(page);
});

test('a pool adapts to its queue within the range set in the panel', async ({ page }) => {
  const panel = await openPanel(page);
  const pool = panel.getByRole('listitem', { name: `Pool ${POOL}`, exact: true });
  const minimum = pool.getByRole('spinbutton', { name: `Minimum engines of pool ${POOL}` });
  const maximum = pool.getByRole('spinbutton', { name: `Maximum engines of pool ${POOL}` });
  const line = pool.getByLabel('Adaptive scaling');

  await test.step('start a 1-engine pool', async () => {
    const form = panel.getByRole('form', { name: 'New pool' });
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('1');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(pool.getByRole('status')).toHaveText(/running\s+1\/1 engine/, {
      timeout: 60_000
    });
  });

  await test.step('a range upside down is refused in words', async () => {
    await minimum.fill('3');
    await maximum.fill('2');
    await pool.getByRole('button', { name: `Adapt pool ${POOL}` }).click();
    await expect(pool.getByRole('alert')).toContainText(
      'Minimum engines must be at most the maximum (3 > 2)'
    );
  });

  await test.step('adapt between 1 and 2 engines', async () => {
    await minimum.fill('1');
    await maximum.fill('2');
    await pool.getByRole('button', { name: `Adapt pool ${POOL}` }).click();
    await expect(line).toHaveText('Adapts between 1 and 2 engines to its queue');
  });

  await test.step('a map waiting on the pool brings a second engine', async () => {
    await page.notebook.createNew();
    await page.notebook.setCell(
      0,
      'code',
      `import time\nfrom jupyter_jasmin import pmap\nlen(pmap(time.sleep, [2] * 8, pool='${POOL}'))`
    );
    const ran = page.notebook.runCell(0);
    await expect(line).toContainText(/last: 1 → 2 engines at \d\d:\d\d UTC \(\d+ tasks waiting\)/, {
      timeout: 60_000
    });
    await expect(pool.getByRole('status')).toHaveText(/running\s+2\/2 engines/, {
      timeout: 60_000
    });
    await ran;
    const output = await page.notebook.getCellOutputLocator(0);
    await expect(output!).toContainText('8');
  });

  await test.step('Fixed ends adapting and keeps the engines', async () => {
    await pool.getByRole('button', { name: `Stop adapting pool ${POOL}` }).click();
    await expect(line).toHaveCount(0);
    await expect(pool.getByRole('status')).toHaveText(/running\s+2\/2 engines/);
  });
});
