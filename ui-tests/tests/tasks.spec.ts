/**
 * A pool's work while a notebook maps on it: the panel counts the tasks, asks
 * before stopping a pool that still has work, and the notebook's map fails
 * at once with words instead of hanging. Real server, pool and kernel.
 */
import { expect, test } from '@jupyterlab/galata';

import { openPanel, stopAllPools } from './helpers';

const POOL = 'ui-tasks';

test.use({ autoGoto: true, viewport: { width: 1440, height: 900 } });

test.afterEach(async ({ page }) => {
  await stopAllPools(page);
});

test('tasks are counted, stopping a busy pool is asked, and the map fails in words', async ({
  page
}) => {
  const panel = await openPanel(page);
  const pool = panel.getByRole('listitem', { name: `Pool ${POOL}`, exact: true });

  await test.step('start a 2-engine pool', async () => {
    const form = panel.getByRole('form', { name: 'New pool' });
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('2');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(pool.getByRole('status')).toHaveText(/running\s+2\/2 engines/, {
      timeout: 60_000
    });
    await expect(pool.getByRole('group', { name: `Tasks of pool ${POOL}` })).toContainText(
      'idle'
    );
  });

  await test.step('map slow items from a notebook: the panel counts them', async () => {
    await page.notebook.createNew();
    await page.notebook.setCell(
      0,
      'code',
      `import time\nfrom jupyter_jasmin import pmap\npmap(time.sleep, [4] * 10, pool='${POOL}')`
    );
    void page.notebook.runCell(0);
    await expect(pool.getByRole('group', { name: `Tasks of pool ${POOL}` })).toContainText(
      /2 running · \d+ queued · \d+ done \(2\/2 engines busy\)/,
      { timeout: 60_000 }
    );
  });

  await test.step('Stop asks first; keep it running', async () => {
    await pool.getByRole('button', { name: `Stop pool ${POOL}` }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toContainText(`Pool ${POOL} has 2 tasks running`);
    await dialog.getByRole('button', { name: 'Keep running' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(pool).toBeVisible();
  });

  await test.step('stop it: the map in the notebook fails at once, saying why', async () => {
    await pool.getByRole('button', { name: `Stop pool ${POOL}` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Stop pool' }).click();
    await expect(pool).toHaveCount(0, { timeout: 60_000 });
    const output = await page.notebook.getCellOutputLocator(0);
    await expect(output!).toContainText(`engine pool '${POOL}'`, { timeout: 30_000 });
    await expect(output!).toContainText('was stopped during the map');
  });
});
