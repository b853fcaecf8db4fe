/** A pool's one status: its state, engines and what it is doing. */
import React from 'react';
import { useTrans } from '../translation';
import { IPool, PoolState } from '../api';
import { EMPTY_POOL_NOTE, shownPoolState } from '../format';
import { PoolAction } from '../model';

export function PoolStatus({
  pool,
  state,
  action
}: {
  pool: IPool;
  state: PoolState;
  action: PoolAction | null;
}): JSX.Element {
  const trans = useTrans();
  const { requested, running } = pool.engines;
  const shown = shownPoolState(state, requested);
  const busyText =
    action === 'stopping'
      ? 'Stopping…'
      : action === 'scaling'
        ? 'Scaling…'
        : null;
  return (
    <>
      <div className="jp-JasminPool-status" role="status">
        <span className={`jp-JasminBadge jp-JasminBadge-${shown}`}>
          {shown}
        </span>{' '}
        <span className="jp-JasminPool-count">
          {shown === 'empty'
            ? EMPTY_POOL_NOTE
            : `${running}/${requested} engines`}
        </span>
        {busyText && <span className="jp-JasminMuted"> {busyText}</span>}
      </div>
      {pool.actions.scale && running < requested && (
        <div
          className="jp-JasminProgress"
          role="progressbar"
          aria-label={trans.__('Engines started in pool %1', pool.name)}
          aria-valuemin={0}
          aria-valuemax={requested}
          aria-valuenow={running}
          aria-valuetext={`${running} of ${requested} engines`}
        >
          <div
            className="jp-JasminProgress-bar"
            style={{ width: `${requested ? (100 * running) / requested : 0}%` }}
          />
        </div>
      )}
    </>
  );
}
