/** One pool: its status, its parts and engines, and a row of actions. */
import React, { useState } from 'react';
import { useTrans } from '../translation';
import { IPool, PoolState } from '../api';
import { Alert } from '../feedback';
import { AddEngines } from '../burst';
import { IdleLine } from '../idle';
import { PoolLogs } from '../logs';
import { PoolAction } from '../model';
import { PartList, Run } from '../pool-parts';
import { AdaptForm, AdaptLine, canAdapt } from './adapt';
import { TaskProgress } from '../tasks';
import { EngineTable } from './engine-table';
import { PoolActions, SnippetActions } from './pool-actions';
import { PoolStatus } from './pool-status';
import { ISectionProps } from './section';

export interface IPoolItemProps extends ISectionProps {
  pool: IPool;
  action: PoolAction | null;
  backendLabel?: string;
}

/**
 * A pool item's one error line: `run` sends a request and keeps the server's
 * message if it is refused, `fail` shows a message of the panel's own.
 */
function useItemError(): {
  error: string | null;
  run: Run;
  fail: (message: string) => void;
} {
  const [error, setError] = useState<string | null>(null);
  const run = async (what: () => Promise<unknown>): Promise<boolean> => {
    setError(null);
    try {
      await what();
      return true;
    } catch (reason) {
      setError((reason as Error).message);
      return false;
    }
  };
  return { error, run, fail: setError };
}

/** Whether the pool's error is shown: it failed, lost engines, or was culled. */
const ERROR_STATES = new Set<PoolState>(['failed', 'degraded', 'stopped']);

export function PoolItem(props: IPoolItemProps): JSX.Element {
  const trans = useTrans();
  const { pool, action, model, target, backendLabel } = props;
  const { error, run, fail } = useItemError();
  const name = pool.name;
  const state: PoolState = action === 'stopping' ? 'stopping' : pool.state;
  const parts = { pool, model, backends: model.backends, action, run, fail };
  return (
    <li
      className={`jp-JasminPool jp-JasminPool-${state}`}
      aria-label={trans.__('Pool %1', name)}
    >
      <div className="jp-JasminPool-header">
        <span
          className="jp-JasminPool-name"
          title={trans.__('Pool id %1', pool.id)}
        >
          {name}
        </span>
        <span className="jp-JasminPool-backend" title={backendLabel}>
          {pool.backend}
        </span>
      </div>
      <PoolStatus pool={pool} state={state} action={action} />
      <TaskProgress pool={pool} />
      <IdleLine pool={pool} readAt={model.readAt(pool.id)} />
      <AdaptLine pool={pool} />
      {pool.error && ERROR_STATES.has(state) && (
        <p className="jp-JasminPool-error">{pool.error}</p>
      )}
      <PoolActions {...props} state={state} run={run} />
      {!pool.actions.dismiss && (
        <SnippetActions
          pool={pool}
          model={model}
          target={target}
          usable={
            pool.actions.connect &&
            state !== 'stopping' &&
            action === null &&
            pool.engines.requested > 0
          }
          run={run}
        />
      )}
      {error && <Alert>{error}</Alert>}
      <PartList {...parts} />
      {canAdapt(pool) && action !== 'stopping' && <AdaptForm {...parts} />}
      <AddEngines {...parts} />
      {pool.engines.list.length > 0 && <EngineTable pool={pool} />}
      <PoolLogs pool={pool} model={model} />
    </li>
  );
}
