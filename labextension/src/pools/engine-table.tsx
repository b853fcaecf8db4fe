/** A pool's engines, one row each. */
import React from 'react';
import { useTrans } from '../translation';
import { IPool } from '../api';
import { formatBytes, formatEngineProcess, formatPercent } from '../format';

export function EngineTable({ pool }: { pool: IPool }): JSX.Element {
  const trans = useTrans();
  const list = pool.engines.list;
  // an SSH column only where some engine was started over SSH
  const ssh = list.some(engine => engine.ssh_address !== null);
  return (
    <details className="jp-JasminEngines">
      <summary>{trans.__('Engines (%1)', list.length)}</summary>
      <div className="jp-JasminEngines-scroll">
        <table aria-label={trans.__('Engines of pool %1', pool.name)}>
          <thead>
            <tr>
              <th scope="col" title={trans.__('Engine id')}>
                {trans.__('Id')}
              </th>
              <th scope="col" title={trans.__('Host and process id')}>
                {trans.__('Process')}
              </th>
              <th scope="col" title={trans.__('The engine set it belongs to')}>
                {trans.__('Set')}
              </th>
              {ssh && (
                <th
                  scope="col"
                  title={trans.__('The address its SSH connection reached')}
                >
                  {trans.__('SSH')}
                </th>
              )}
              <th scope="col">{trans.__('State')}</th>
              <th scope="col">{trans.__('CPU')}</th>
              <th scope="col">
                <abbr title={trans.__('Memory')}>{trans.__('Mem')}</abbr>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map(engine => (
              <tr
                key={engine.id}
                className={`jp-JasminEngine-${engine.state}`}
                title={engine.error ?? undefined}
              >
                <td>{engine.id}</td>
                <td>{formatEngineProcess(engine)}</td>
                <td>{engine.engine_set ?? '–'}</td>
                {ssh && <td>{engine.ssh_address ?? '–'}</td>}
                <td>{engine.state}</td>
                <td>{formatPercent(engine.cpu_percent)}</td>
                <td>{formatBytes(engine.memory_bytes, 0)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}
