/** A dataset's summary: its version and the others, time range, size, path and facets. */
import { Button } from '@jupyterlab/ui-components';
import React from 'react';
import { useTrans } from '../translation';
import { IDataset } from '../api';
import { formatBytes, formatTimeRange, formatVersion } from '../format';

export function Summary({
  dataset,
  openDataset
}: {
  dataset: IDataset;
  openDataset: (id: string) => void;
}): JSX.Element {
  const trans = useTrans();
  const others = dataset.versions.filter(v => v.id !== dataset.id);
  return (
    <section
      className="jp-JasminDataset-section"
      aria-label={trans.__('Summary')}
    >
      <dl className="jp-JasminDataset-summary">
        <dt>{trans.__('Version')}</dt>
        <dd>
          {formatVersion(dataset.version)}{' '}
          {dataset.latest ? (
            <span className="jp-JasminBadge jp-JasminBadge-latest">
              {trans.__('latest')}
            </span>
          ) : (
            <span className="jp-JasminBadge jp-JasminBadge-superseded">
              {trans.__('superseded')}
            </span>
          )}
        </dd>
        <dt>{trans.__('Other versions')}</dt>
        <dd>
          {others.length === 0 ? (
            <span className="jp-JasminMuted">{trans.__('none')}</span>
          ) : (
            <ul className="jp-JasminDataset-versions">
              {others.map(v => (
                <li key={v.id}>
                  <Button
                    small
                    minimal
                    aria-label={trans.__(
                      'Open version %1',
                      formatVersion(v.version)
                    )}
                    title={trans.__('Open %1', v.id)}
                    onClick={() => openDataset(v.id)}
                  >
                    {formatVersion(v.version)}
                  </Button>{' '}
                  <span className="jp-JasminMuted">
                    {trans._n(
                      '%2 file, %3',
                      '%2 files, %3',
                      v.files,
                      v.files.toLocaleString(),
                      formatBytes(v.size)
                    )}
                  </span>
                  {v.latest && (
                    <span className="jp-JasminBadge jp-JasminBadge-latest">
                      {trans.__('latest')}
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>{trans.__('Time range')}</dt>
        <dd>{formatTimeRange(dataset.start, dataset.end)}</dd>
        <dt>{trans.__('Size')}</dt>
        <dd>
          {trans._n(
            '%2 in %3 file',
            '%2 in %3 files',
            dataset.file_count,
            formatBytes(dataset.size),
            dataset.file_count.toLocaleString()
          )}
        </dd>
        <dt>{trans.__('Path')}</dt>
        <dd>
          <code className="jp-JasminDataset-path">{dataset.path}</code>
        </dd>
      </dl>
      <ul className="jp-JasminDataset-facets" aria-label={trans.__('Facets')}>
        {Object.entries(dataset.facets).map(([name, value]) => (
          <li key={name}>
            <span className="jp-JasminChip-facet">{name}</span>{' '}
            <span className="jp-JasminChip-value">
              {Array.isArray(value) ? value.join(', ') : value}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
