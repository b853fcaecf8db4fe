/** A dataset's page: its header, then its parts side by side, metadata and files below. */
import { Notification } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect } from 'react';
import { useTrans } from '../translation';
import { Alert, Busy } from '../feedback';
import { IDataset, IPool, getDataset, getDatasetMetadata } from '../api';
import { BreakableId, LockedBadge } from '../holdings/results';
import { SnippetTarget } from '../snippets';
import { useFetch } from './fetch';
import { Files } from './files';
import { Metadata } from './metadata';
import { guessVariable } from './names';
import { Quicklook } from './quicklook';
import { Snippets } from './snippets';
import { Summary } from './summary';

interface IPageProps {
  holding: string;
  id: string;
  target: SnippetTarget;
  pools: IPool[];
  onLoaded: (dataset: IDataset) => void;
  openDataset: (id: string) => void;
}

export function DatasetPage(props: IPageProps): JSX.Element {
  const trans = useTrans();
  const { holding, id } = props;
  const dataset = useFetch(() => getDataset(holding, id), [holding, id]);
  // read at once, beside the summary: the first read takes seconds
  const metadata = useFetch(
    () => getDatasetMetadata(holding, id),
    [holding, id]
  );

  useEffect(() => {
    if (dataset.state === 'done') {
      props.onLoaded(dataset.value);
    }
  }, [dataset.state]);

  const summary = dataset.state === 'done' ? dataset.value : null;
  const variables =
    metadata.state === 'done'
      ? metadata.value.variables.filter(v => !v.bounds).map(v => v.name)
      : null;

  return (
    <article
      className="jp-JasminDataset-page"
      aria-label={trans.__('Dataset %1', id)}
    >
      <header className="jp-JasminDataset-header">
        <h1 className="jp-JasminDataset-id">
          <BreakableId id={id} />
        </h1>
        <div className="jp-JasminDataset-headerActions">
          <Button
            small
            minimal
            title={trans.__('Copy the dataset id, to cite it')}
            onClick={() => {
              props.target.copy(id);
              Notification.success('Dataset id copied', { autoClose: 3000 });
            }}
          >
            {trans.__('Copy dataset id')}
          </Button>
          <span className="jp-JasminMuted">
            {trans.__('holding')} {holding}
          </span>
        </div>
      </header>
      {dataset.state === 'loading' && (
        <Busy text="Reading the index…" announce />
      )}
      {dataset.state === 'failed' && <Alert>{dataset.error}</Alert>}
      {summary && !summary.access.readable && (
        <Alert kind="warning">
          <LockedBadge dataset={summary} /> {summary.access.reason}
        </Alert>
      )}
      <div className="jp-JasminDataset-columns">
        <div className="jp-JasminDataset-column">
          {summary && (
            <Summary dataset={summary} openDataset={props.openDataset} />
          )}
          {summary && (
            <Snippets
              holding={holding}
              dataset={summary}
              target={props.target}
              pools={props.pools}
            />
          )}
        </div>
        <div className="jp-JasminDataset-column">
          {summary && (
            <Quicklook
              holding={holding}
              id={id}
              guess={guessVariable(summary)}
              variables={variables}
            />
          )}
        </div>
      </div>
      <Metadata metadata={metadata} />
      {summary && <Files dataset={summary} />}
    </article>
  );
}
