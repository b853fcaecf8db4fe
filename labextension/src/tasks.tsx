/**
 * A pool's work as its controller counts it: tasks queued, running and done,
 * and how many engines are busy; and the question asked before stopping a
 * pool that still has work, since a notebook mapping on it gets an error.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';

import { useTrans } from './translation';
import { IPool } from './api';
import { plural } from './format';

/** What the pool is doing, in words; null when the controller has not said. */
export function describeTasks(
  pool: IPool,
  trans: TranslationBundle
): string | null {
  const tasks = pool.tasks;
  if (!tasks) {
    return null;
  }
  if (tasks.running === 0 && tasks.queued === 0) {
    return tasks.done > 0
      ? trans._n(
          'idle · %2 task done',
          'idle · %2 tasks done',
          tasks.done,
          tasks.done.toLocaleString()
        )
      : trans.__('idle · no tasks yet');
  }
  const parts = [trans.__('%1 running', tasks.running)];
  if (tasks.queued > 0) {
    parts.push(trans.__('%1 queued', tasks.queued));
  }
  parts.push(trans.__('%1 done', tasks.done));
  return trans.__(
    '%1 (%2/%3 engines busy)',
    parts.join(' · '),
    tasks.busy_engines,
    pool.engines.running
  );
}

/** Tasks of a pool, with a bar of busy engines. */
export function TaskProgress({ pool }: { pool: IPool }): JSX.Element | null {
  const trans = useTrans();
  const text = describeTasks(pool, trans);
  const tasks = pool.tasks;
  if (text === null || !tasks) {
    return null;
  }
  const engines = Math.max(pool.engines.running, 1);
  return (
    <div
      className="jp-JasminTasks"
      role="group"
      aria-label={trans.__('Tasks of pool %1', pool.name)}
    >
      <span className="jp-JasminTasks-label">{trans.__('Tasks:')}</span> {text}
      {tasks.busy_engines > 0 && (
        <div
          className="jp-JasminProgress jp-JasminTasks-busy"
          role="meter"
          aria-label={trans.__('Busy engines of pool %1', pool.name)}
          aria-valuemin={0}
          aria-valuemax={engines}
          aria-valuenow={tasks.busy_engines}
        >
          <div
            className="jp-JasminProgress-bar"
            style={{ width: `${(100 * tasks.busy_engines) / engines}%` }}
          />
        </div>
      )}
    </div>
  );
}

/** The question before stopping a pool with work, or null when it has none. */
export function stopQuestion(pool: IPool): string | null {
  const tasks = pool.tasks;
  if (!tasks || (tasks.running === 0 && tasks.queued === 0)) {
    return null;
  }
  const work = [`${plural(tasks.running, 'task')} running`];
  if (tasks.queued > 0) {
    work.push(`${tasks.queued} queued`);
  }
  return (
    `Pool ${pool.name} has ${work.join(' and ')}. Stopping it ends that work: ` +
    'a notebook mapping on it gets an error.'
  );
}

/** Ask before stopping a pool that has work; true when it may be stopped. */
export async function confirmStop(
  pool: IPool,
  trans: TranslationBundle
): Promise<boolean> {
  const question = stopQuestion(pool);
  if (question === null) {
    return true;
  }
  const answer = await showDialog({
    title: trans.__('Stop pool %1?', pool.name),
    body: question,
    buttons: [
      Dialog.cancelButton({ label: trans.__('Keep running') }),
      Dialog.warnButton({ label: trans.__('Stop pool') })
    ]
  });
  return answer.button.accept;
}
