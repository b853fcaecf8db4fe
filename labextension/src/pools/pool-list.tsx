/** The user's pools, or what to do when there are none. */
import React, { useRef } from 'react';
import { useTrans } from '../translation';
import { PoolItem } from './pool-item';
import { ISectionProps } from './section';

export function PoolList({ model, target }: ISectionProps): JSX.Element {
  const trans = useTrans();
  // once pools have been seen, an empty list means they were stopped
  const seenPools = useRef(false);
  seenPools.current ||= model.pools.length > 0;
  if (!model.loaded) {
    return model.connectionError ? (
      <></>
    ) : (
      <p className="jp-JasminMuted">{trans.__('Loading pools…')}</p>
    );
  }
  if (model.pools.length === 0) {
    return (
      <p className="jp-JasminMuted jp-JasminPools-empty">
        {seenPools.current
          ? trans.__('No pools running.')
          : trans.__('No pools yet.')}
      </p>
    );
  }
  const backends = model.backends;
  return (
    <ul className="jp-JasminPoolList" aria-label={trans.__('Engine pools')}>
      {model.pools.map(pool => {
        const backend = backends?.backends.find(b => b.name === pool.backend);
        return (
          <PoolItem
            key={pool.id}
            pool={pool}
            action={model.action(pool.id)}
            model={model}
            target={target}
            backendLabel={backend?.label}
          />
        );
      })}
    </ul>
  );
}
