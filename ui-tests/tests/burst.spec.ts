/**
 * One pool across backends from the panel (issue 13's burst), on the test
 * server's own single-node Slurm: start a local pool of one engine that stops
 * after a short idle time, see its countdown, add one engine as a Slurm job
 * from the pool's card, see both parts running under one controller, read the
 * controller's log tail, scale the Slurm part away, stop the pool and check
 * that no job is left in the queue.
 */
import { expect, test } from '@jupyterlab/galata';

import { API, openPanel, snapshot, stopAllPools } from './helpers';
import { ISlurm, liveJobs, testSlurm } from './slurm';

const POOL = 'burst-pool';
const IDLE_MINUTES = 10;

// tall enough for the pool's parts, its Add engines form and its logs
test.use({ autoGoto: true, viewport: { width: 1280, height: 1600 } });

let slurm: ISlurm;

test.beforeAll(() => {
  slurm = testSlurm();
});

test.afterEach(async ({ page }) => {
  await stopAllPools(page);
});

test('a local pool bursts onto a Slurm job: two parts, the logs, the idle countdown', async ({
  page
}, testInfo) => {
  const panel = await openPanel(page);
  await page.sidebar.setWidth(400, 'left');
  const holdings = panel.locator('.lm-AccordionPanel-title', { hasText: 'Holdings' });
  await holdings.click();
  await expect(holdings).toHaveAttribute('aria-expanded', 'false');
  const form = panel.getByRole('form', { name: 'New pool' });
  const pool = panel.getByRole('listitem', { name: `Pool ${POOL}`, exact: true });
  const status = pool.getByRole('status');
  const local = pool.getByRole('listitem', { name: `Part local of pool ${POOL}` });
  const batch = pool.getByRole('listitem', { name: `Part slurm of pool ${POOL}` });

  await test.step('start a local pool of 1 engine that stops when idle for 10 minutes', async () => {
    await expect(form.getByRole('combobox', { name: 'Backend' })).toHaveValue('local');
    await form.getByRole('textbox', { name: 'Name' }).fill(POOL);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('1');
    const idle = form.getByRole('spinbutton', { name: 'Stop when idle for (minutes)' });
    await idle.fill(String(IDLE_MINUTES));
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(status).toHaveText(/running\s+1\/1 engines/, { timeout: 60_000 });
    await expect(local).toContainText('1/1 engines');
  });

  await test.step('the card counts down to the idle stop', async () => {
    const countdown = pool.getByLabel(`Idle culling of pool ${POOL}`);
    await expect(countdown).toHaveText(
      new RegExp(`^stops in (${IDLE_MINUTES}|${IDLE_MINUTES - 1}) min if idle$`)
    );
  });

  await test.step('add 1 engine from Slurm, with the Slurm options', async () => {
    await pool
      .getByRole('button', { name: `Add engines from another backend to pool ${POOL}` })
      .click();
    const add = pool.getByRole('form', { name: `Add engines to pool ${POOL}` });
    await add.getByRole('combobox', { name: 'Add engines from' }).selectOption('slurm');
    // the New pool form's option fields, with the partition's limits
    await expect(add.getByRole('combobox', { name: 'Partition' })).toHaveValue('main');
    await add.getByRole('spinbutton', { name: 'Engines to add' }).fill('1');
    await add.getByRole('spinbutton', { name: 'Walltime (minutes)' }).fill('10');
    await add.getByRole('spinbutton', { name: 'Memory per engine (GB)' }).fill('0.5');
    await expect(add.getByText('partition main: at most 30', { exact: false })).toBeVisible();
    await snapshot(pool, testInfo, 'burst-add-engines-light.png');
    await add.getByRole('button', { name: `Add the engines to pool ${POOL}` }).click();
    await expect(add).toHaveCount(0);
    await expect(batch).toBeVisible();
  });

  await test.step('both parts run: 1 local engine and 1 in a Slurm job', async () => {
    await expect(status).toHaveText(/running\s+2\/2 engines/, { timeout: 120_000 });
    await expect(batch).toContainText('1/1 engines');
    await expect(local).toContainText('1/1 engines');
    await expect(batch.getByRole('listitem', { name: new RegExp(`^Job \\d+ of pool ${POOL}$`) })).toContainText(
      'RUNNING'
    );
    await pool.locator('summary', { hasText: 'Engines' }).click();
    const engines = pool.getByRole('table', { name: `Engines of pool ${POOL}` });
    await expect(engines.getByRole('row')).toHaveCount(3);
    await expect(engines).toContainText('local-');
    await expect(engines).toContainText('slurm-');
  });

  await test.step("open the logs and read the controller's tail", async () => {
    await pool.getByLabel(`Logs of pool ${POOL}`, { exact: true }).click();
    const chosen = pool.getByRole('combobox', { name: `Log of pool ${POOL}` });
    await expect(chosen).toHaveValue('controller');
    const tail = pool.getByLabel(`Controller log of pool ${POOL}`);
    // both engines registered with the one controller
    await expect(tail).toContainText('Engine Connected: 0');
    await expect(tail).toContainText('Engine Connected: 1');
    await pool.getByRole('button', { name: `Refresh the logs of pool ${POOL}` }).click();
    await expect(tail).toContainText('Engine Connected: 1');
    await snapshot(pool, testInfo, 'burst-pool-light.png');
  });

  await test.step('scale the Slurm part to 0: the local engine stays', async () => {
    await batch.getByRole('spinbutton', { name: `Engines of slurm for pool ${POOL}` }).fill('0');
    await batch.getByRole('button', { name: `Scale slurm engines of pool ${POOL}` }).click();
    await expect(batch).toHaveCount(0, { timeout: 60_000 });
    await expect(status).toHaveText(/running\s+1\/1 engines/);
    await expect.poll(() => liveJobs(slurm), { timeout: 30_000 }).toEqual({});
  });

  await test.step('stop the pool: it leaves the panel', async () => {
    await pool.getByRole('button', { name: `Stop pool ${POOL}` }).click();
    await expect(pool).toHaveCount(0, { timeout: 60_000 });
    expect(await (await page.request.get(`${API}/clusters`)).json()).toEqual({ clusters: [] });
    expect(liveJobs(slurm)).toEqual({});
  });
});

test('an MPI pool grows and shrinks only by whole engine sets', async ({ page }, testInfo) => {
  const name = 'mpi-pool';
  const panel = await openPanel(page);
  await page.sidebar.setWidth(400, 'left');
  const form = panel.getByRole('form', { name: 'New pool' });
  const pool = panel.getByRole('listitem', { name: `Pool ${name}`, exact: true });
  const status = pool.getByRole('status');
  const part = pool.getByRole('listitem', { name: `Part mpi of pool ${name}` });
  const engines = part.getByRole('combobox', { name: `Engines for pool ${name}` });
  const scale = part.getByRole('button', { name: `Scale pool ${name}` });

  await test.step('start an MPI pool of 2 engines: one world', async () => {
    await form.getByRole('combobox', { name: 'Backend' }).selectOption('mpi');
    await form.getByRole('textbox', { name: 'Name' }).fill(name);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('2');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(status).toHaveText(/running\s+2\/2 engines/, { timeout: 60_000 });
  });

  await test.step('the part says it scales by whole sets and offers only those', async () => {
    await expect(part).toContainText('MPI pools grow and shrink by whole engine sets');
    await expect(engines.locator('option')).toHaveText([
      '0 (stop a set of 2)',
      '2 (now)',
      '3 (start a set of 1)',
      '4 (start a set of 2)'
    ]);
  });

  await test.step('grow by a world of 1: 2 + 1 engines', async () => {
    await engines.selectOption('3');
    await scale.click();
    await expect(status).toHaveText(/running\s+3\/3 engines/, { timeout: 60_000 });
    await expect(part.getByRole('list', { name: `Engine sets of pool ${name}` }).getByRole('listitem')).toHaveCount(2);
    await expect(engines.locator('option')).toHaveText([
      '0 (stop sets of 2 + 1)',
      '1 (stop a set of 2)',
      '2 (stop a set of 1)',
      '3 (now)',
      '4 (start a set of 1)'
    ]);
    await snapshot(pool, testInfo, 'burst-mpi-pool-light.png');
  });

  await test.step('shrink by the world of 1', async () => {
    await engines.selectOption('2');
    await scale.click();
    await expect(status).toHaveText(/running\s+2\/2 engines/, { timeout: 60_000 });
    await expect(engines).toHaveValue('2');
  });

  await test.step('stop the pool', async () => {
    await pool.getByRole('button', { name: `Stop pool ${name}` }).click();
    await expect(pool).toHaveCount(0, { timeout: 60_000 });
  });
});

test('an idle pool counts down, is stopped, says why and keeps its logs until dismissed', async ({
  page
}, testInfo) => {
  const name = 'idle-pool';
  const panel = await openPanel(page);
  await page.sidebar.setWidth(400, 'left');
  const form = panel.getByRole('form', { name: 'New pool' });
  const pool = panel.getByRole('listitem', { name: `Pool ${name}`, exact: true });
  const status = pool.getByRole('status');
  const countdown = pool.getByLabel(`Idle culling of pool ${name}`);

  await test.step('start a pool that stops after 15 s without work', async () => {
    await form.getByRole('textbox', { name: 'Name' }).fill(name);
    await form.getByRole('spinbutton', { name: 'Engines', exact: true }).fill('1');
    await form.getByRole('spinbutton', { name: 'Stop when idle for (minutes)' }).fill('0.25');
    await form.getByRole('button', { name: 'Start pool' }).click();
    await expect(status).toHaveText(/running\s+1\/1 engines/, { timeout: 60_000 });
  });

  await test.step('the countdown counts down', async () => {
    await expect(countdown).toHaveText(/^stops in \d+ s if idle$/);
    const first = await countdown.textContent();
    await expect(countdown).not.toHaveText(first!, { timeout: 5_000 });
  });

  await test.step('culled: the pool says why, its logs stay, Dismiss removes it', async () => {
    await expect(status).toHaveText(/stopped/, { timeout: 60_000 });
    await expect(countdown).toHaveCount(0);
    await expect(pool.locator('.jp-JasminPool-error')).toHaveText(
      'stopped after 0.25 min without work (idle culling)'
    );
    await pool.getByLabel(`Logs of pool ${name}`, { exact: true }).click();
    await expect(pool.getByLabel(`Controller log of pool ${name}`)).toContainText(
      'Engine Connected: 0'
    );
    await snapshot(pool, testInfo, 'burst-culled-pool-light.png');
    await pool.getByRole('button', { name: `Dismiss pool ${name}` }).click();
    await expect(pool).toHaveCount(0);
    expect(await (await page.request.get(`${API}/clusters`)).json()).toEqual({ clusters: [] });
  });
});
