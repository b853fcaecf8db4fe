/** This VM's cores, load and memory, in one line. */
import React from 'react';
import { useTrans } from '../translation';
import { IResources } from '../api';
import { formatBytes, formatLoad } from '../format';
import { coresInUse } from '../limits';

export function ResourcesLine({
  resources
}: {
  resources: IResources | null;
}): JSX.Element {
  const trans = useTrans();
  if (!resources) {
    return (
      <p className="jp-JasminResources jp-JasminMuted">
        {trans.__('Reading resources…')}
      </p>
    );
  }
  const { cores, memory } = resources;
  return (
    <dl
      className="jp-JasminResources"
      aria-label={trans.__('Resources of %1', resources.hostname)}
      title={trans.__('Resources of %1', resources.hostname)}
    >
      <div>
        <dt>{trans.__('Cores')}</dt>
        <dd
          title={trans.__(
            'Engines of your pools on this VM, one core each; %1 of its %2 cores are usable by pools',
            cores.usable,
            cores.logical ?? '?'
          )}
        >
          {coresInUse(cores.in_use, cores.usable)}
        </dd>
      </div>
      <div>
        <dt>{trans.__('Memory')}</dt>
        <dd title={trans.__('Available / total memory')}>
          {formatBytes(memory.available_bytes)} /{' '}
          {formatBytes(memory.total_bytes)}
        </dd>
      </div>
      <div>
        <dt>{trans.__('Load')}</dt>
        <dd title={trans.__('Load average over 1, 5 and 15 minutes')}>
          {formatLoad(resources.load_average)}
        </dd>
      </div>
    </dl>
  );
}
