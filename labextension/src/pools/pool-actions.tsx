/** A pool's row of actions: stop or dismiss, and its snippet for a notebook. */
import { Notification } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';
import { useTrans } from '../translation';
import { IPool, PoolState } from '../api';
import { EMPTY_POOL_NOTE } from '../format';
import { Run } from '../pool-parts';
import { NO_NOTEBOOK } from '../snippets';
import { confirmStop } from '../tasks';
import { IPoolItemProps } from './pool-item';
import { ISectionProps } from './section';

/** Stop, or dismiss a failed or culled pool, as far as the server allows. */
export function PoolActions({
  pool,
  state,
  action,
  model,
  run
}: IPoolItemProps & { state: PoolState; run: Run }): JSX.Element | null {
  const trans = useTrans();
  const name = pool.name;
  const { stop, dismiss } = pool.actions;
  if (!stop && !dismiss) {
    return null;
  }
  return (
    <div className="jp-JasminPool-actions">
      <Button
        small
        className={stop ? 'jp-mod-styled jp-mod-warn' : 'jp-mod-styled'}
        aria-label={trans.__('%1 pool %2', stop ? 'Stop' : 'Dismiss', name)}
        title={
          stop
            ? trans.__('Stop the controller and engines of pool %1', name)
            : trans.__(
                'Remove %1 pool %2 and its logs from the list',
                state,
                name
              )
        }
        disabled={action !== null}
        onClick={() =>
          void (async () => {
            // a pool with work: a notebook mapping on it would get an error
            if (!stop || (await confirmStop(pool, trans))) {
              await run(() => model.stop(pool.id));
            }
          })()
        }
      >
        {stop ? trans.__('Stop') : trans.__('Dismiss')}
      </Button>
    </div>
  );
}

interface ISnippetProps extends ISectionProps {
  pool: IPool;
  usable: boolean;
  run: Run;
}

/** Insert a cell that connects to the pool into the notebook, or copy its code. */
export function SnippetActions(props: ISnippetProps): JSX.Element {
  const trans = useTrans();
  const { pool, model, target, usable, run } = props;
  const [busy, setBusy] = useState(false);
  const name = pool.name;
  const withSnippet = async (use: (code: string) => void): Promise<void> => {
    setBusy(true);
    try {
      await run(async () => use(await model.snippet(pool.id)));
    } finally {
      setBusy(false);
    }
  };
  const noNotebook = target.notebook === null;
  const insertDisabled = noNotebook || !usable || busy;
  const onInsert = (): void => {
    if (!insertDisabled) {
      void withSnippet(code => target.insert(code));
    }
  };
  const onCopy = (): void => {
    void withSnippet(code => {
      target.copy(code);
      Notification.success(trans.__('Snippet for pool %1 copied', name), {
        autoClose: 3000
      });
    });
  };
  return (
    <div className="jp-JasminPool-actions">
      <Button
        small
        minimal
        aria-label={trans.__('Insert snippet for pool %1', name)}
        aria-disabled={insertDisabled}
        className={insertDisabled ? 'jp-mod-disabled' : undefined}
        title={
          noNotebook
            ? NO_NOTEBOOK
            : usable
              ? trans.__(
                  'Add a cell that connects to pool %1 below the active cell',
                  name
                )
              : unusableReason(pool)
        }
        onClick={onInsert}
      >
        {trans.__('Insert snippet')}
      </Button>
      <Button
        small
        minimal
        aria-label={trans.__('Copy snippet for pool %1', name)}
        title={
          usable
            ? trans.__('Copy code that connects to pool %1', name)
            : unusableReason(pool)
        }
        disabled={!usable || busy}
        onClick={onCopy}
      >
        {trans.__('Copy snippet')}
      </Button>
    </div>
  );
}

/** Why a pool's snippet cannot be used now. */
function unusableReason(pool: IPool): string {
  return pool.engines.requested === 0 && pool.state === 'running'
    ? `Pool ${pool.name} has ${EMPTY_POOL_NOTE}`
    : `Pool ${pool.name} is ${pool.state}`;
}
