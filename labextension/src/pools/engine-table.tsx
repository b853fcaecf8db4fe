/** A pool's engines, one row each. */
import React from 'react';
import { IPool } from '../api';
import { formatBytes, formatEngineProcess, formatPercent } from '../format';

export function EngineTable({ pool }: { pool: IPool }): JSX.Element {
  const list = pool.engines.list;
  // an SSH column only where some engine was started over SSH
  const ssh = list.some(engine => engine.ssh_address !== null);
  return (
    <details className="jp-JasminEngines">
      <summary>Engines ({list.length})</summary>
      <div className="jp-JasminEngines-scroll">
        <table aria-label={`Engines of pool ${pool.name}`}>
          <thead>
            <tr>
              <th scope="col" title="Engine id">
                Id
              </th>
              <th scope="col" title="Host and process id">
                Process
              </th>
              <th scope="col" title="The engine set it belongs to">
                Set
              </th>
              {ssh && (
                <th scope="col" title="The address its SSH connection reached">
                  SSH
                </th>
              )}
              <th scope="col">State</th>
              <th scope="col">CPU</th>
              <th scope="col">
                <abbr title="Memory">Mem</abbr>
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
