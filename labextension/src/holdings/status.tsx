/** The state of a holding's index, and what its last scan did not match. */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';
import { useTrans } from '../translation';
import { Alert } from '../feedback';
import { IHolding } from '../api';
import { formatDateTime } from '../format';
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
              ? trans.__('%1 is being indexed', name)
              : trans.__(
                  'Scan %1 again for new, changed and removed datasets',
                  holding.root
                )
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
          ? trans.__(
              '%1 in %2 so far',
              trans._n(
                '%2 file',
                '%2 files',
                progress.files,
                progress.files.toLocaleString()
              ),
              trans._n(
                '%2 folder',
                '%2 folders',
                progress.folders ?? 0,
                (progress.folders ?? 0).toLocaleString()
              )
            )
          : trans.__('scanning folders')}
      </span>
    );
  }
  if (holding.datasets !== null) {
    return (
      <span>
        {trans._n(
          '%2 dataset',
          '%2 datasets',
          holding.datasets,
          holding.datasets.toLocaleString()
        )}{' '}
        ·{' '}
        {trans._n(
          '%2 file',
          '%2 files',
          holding.files ?? 0,
          (holding.files ?? 0).toLocaleString()
        )}
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
          ? trans._n(
              '%2 file so far',
              '%2 files so far',
              progress.files,
              progress.files.toLocaleString()
            )
          : trans.__('starting')
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
        {trans._n(
          '%2 file outside the %3 DRS',
          '%2 files outside the %3 DRS',
          count,
          count.toLocaleString(),
          holding.drs
        )}
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
            {trans._n(
              'and %2 more',
              'and %2 more',
              count - listed.length,
              (count - listed.length).toLocaleString()
            )}
          </li>
        )}
      </ul>
    </details>
  );
}
