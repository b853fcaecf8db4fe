/** This VM's cores, load and memory, in one line. */
import React from 'react';
import { IResources } from '../api';
import { formatBytes, formatLoad } from '../format';
import { coresInUse } from '../limits';

export function ResourcesLine({
  resources
}: {
  resources: IResources | null;
}): JSX.Element {
  if (!resources) {
    return (
      <p className="jp-JasminResources jp-JasminMuted">Reading resources…</p>
    );
  }
  const { cores, memory } = resources;
  return (
    <dl
      className="jp-JasminResources"
      aria-label={`Resources of ${resources.hostname}`}
      title={`Resources of ${resources.hostname}`}
    >
      <div>
        <dt>Cores</dt>
        <dd
          title={`Engines of your pools on this VM, one core each; ${cores.usable} of its ${cores.logical ?? '?'} cores are usable by pools`}
        >
          {coresInUse(cores.in_use, cores.usable)}
        </dd>
      </div>
      <div>
        <dt>Memory</dt>
        <dd title="Available / total memory">
          {formatBytes(memory.available_bytes)} /{' '}
          {formatBytes(memory.total_bytes)}
        </dd>
      </div>
      <div>
        <dt>Load</dt>
        <dd title="Load average over 1, 5 and 15 minutes">
          {formatLoad(resources.load_average)}
        </dd>
      </div>
    </dl>
  );
}
