/** The state of a holding's index, and what its last scan did not match. */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';
import { useTrans } from '../translation';
import { Alert } from '../feedback';
import { IHolding } from '../api';
import { formatDateTime, plural } from '../format';
import { HoldingsModel } from '../holdings-model';

export function HoldingStatus({
  model,
  holding
}: {
  model: HoldingsModel;
  holding: IHolding;
}): JSX.Element {
  const trans = useTrans();
  const { name, state } = holding;
  const indexing = state === 'indexing';
  return (
    <div className={`jp-JasminHolding jp-JasminHolding-${state}`}>
      <div
        className="jp-JasminHolding-status"
        role="status"
        aria-label={trans.__('Status of %1', name)}
      >
        <span className={`jp-JasminBadge jp-JasminBadge-${state}`}>
          {state}
        </span>{' '}
        <StatusDetail holding={holding} />
      </div>
      {indexing && <IndexingProgress holding={holding} />}
      {holding.last_refresh && (
        <p
          className="jp-JasminMuted jp-JasminHolding-refreshed"
          title={trans.__(
            'Index built %1%2 from %3',
            holding.last_refresh,
            holding.refresh_seconds !== null
              ? ` in ${holding.refresh_seconds.toFixed(2)} s`
              : '',
            holding.root
          )}
        >
          {trans.__('Indexed')} {formatDateTime(holding.last_refresh)}
        </p>
      )}
      {holding.error && <Alert>{holding.error}</Alert>}
      {holding.unmatched !== null && <Unmatched holding={holding} />}
      <div className="jp-JasminHolding-actions">
        <Button
          small
          className="jp-mod-styled jp-mod-reject"
          aria-label={trans.__('Refresh index of %1', name)}
          title={
            indexing
              ? `${name} is being indexed`
              : `Scan ${holding.root} again for new, changed and removed datasets`
          }
          disabled={indexing || model.refreshing}
          onClick={() => void model.refreshIndex()}
        >
          {holding.datasets === null && !indexing
            ? trans.__('Build index')
            : trans.__('Refresh index')}
        </Button>
      </div>
      {model.refreshError && <Alert>{model.refreshError}</Alert>}
    </div>
  );
}

/** What the index holds, or how far its building has gone. */
function StatusDetail({ holding }: { holding: IHolding }): JSX.Element {
  const trans = useTrans();
  const progress = holding.refresh;
  if (holding.state === 'indexing') {
    return (
      <span>
        {trans.__('Indexing…')}{' '}
        {progress && progress.files !== undefined
          ? `${plural(progress.files, 'file')} in ${plural(
              progress.folders ?? 0,
              'folder'
            )} so far`
          : trans.__('scanning folders')}
      </span>
    );
  }
  if (holding.datasets !== null) {
    return (
      <span>
        {plural(holding.datasets, 'dataset')} ·{' '}
        {plural(holding.files ?? 0, 'file')}
      </span>
    );
  }
  return <span>{trans.__('Index not built yet')}</span>;
}

function IndexingProgress({ holding }: { holding: IHolding }): JSX.Element {
  const trans = useTrans();
  const progress = holding.refresh;
  return (
    <div
      className="jp-JasminProgress jp-JasminProgress-indeterminate"
      role="progressbar"
      aria-label={trans.__('Indexing %1', holding.name)}
      aria-valuetext={
        progress?.files !== undefined
          ? `${plural(progress.files, 'file')} so far`
          : 'starting'
      }
    >
      <div className="jp-JasminProgress-bar" />
    </div>
  );
}

function Unmatched({ holding }: { holding: IHolding }): JSX.Element {
  const trans = useTrans();
  const count = holding.unmatched ?? 0;
  if (count === 0) {
    return (
      <p className="jp-JasminMuted">
        {trans.__('Every file matched the')} {holding.drs} {trans.__('DRS')}
      </p>
    );
  }
  const listed = holding.unmatched_paths;
  return (
    <details className="jp-JasminDetails">
      <summary>
        {plural(count, 'file')} {trans.__('outside the')} {holding.drs}{' '}
        {trans.__('DRS')}
      </summary>
      <ul
        className="jp-JasminUnmatched"
        aria-label={trans.__('Unmatched paths of %1', holding.name)}
      >
        {listed.map(entry => (
          <li key={entry.path}>
            <code>{entry.path}</code>
            <span className="jp-JasminMuted">{entry.reason}</span>
          </li>
        ))}
        {count > listed.length && (
          <li className="jp-JasminMuted">
            {trans.__('and')} {plural(count - listed.length, 'more')}
          </li>
        )}
      </ul>
    </details>
  );
}
