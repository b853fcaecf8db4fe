/** A page of datasets found, each opening its dataset view. */
import { Button, lockIcon } from '@jupyterlab/ui-components';
import React, { useId } from 'react';
import { useTrans } from '../translation';
import { Alert, Busy } from '../feedback';
import { IDatasetSummary, IHolding } from '../api';
import { formatBytes, formatTimeRange } from '../format';
import { AnalyseSelection } from '../analyse-selection';
import { HoldingsModel } from '../holdings-model';
import { IProps } from './types';

export function Results({
  model,
  holding,
  openDataset,
  analysis
}: IProps & { holding: IHolding }): JSX.Element {
  const trans = useTrans();
  const page = model.page;
  const error = model.searchError;
  if (!page) {
    return (
      <div className="jp-JasminResults">
        <ResultsHeader model={model} />
        {error && <Alert>{error}</Alert>}
      </div>
    );
  }
  return (
    <div className={`jp-JasminResults${model.searching ? ' jp-mod-busy' : ''}`}>
      <ResultsHeader model={model} />
      {error && <Alert>{error}</Alert>}
      {page.total === 0 ? (
        <NoMatch model={model} />
      ) : (
        <>
          {analysis && (
            <AnalyseSelection
              holding={holding.name}
              selection={model.selection}
              total={page.total}
              analysis={analysis}
            />
          )}
          <ul
            className="jp-JasminResults-list"
            aria-label={trans.__('Datasets')}
          >
            {page.datasets.map(dataset => (
              <ResultItem
                key={dataset.id}
                holding={holding.name}
                dataset={dataset}
                open={newTab => openDataset(holding.name, dataset, newTab)}
              />
            ))}
          </ul>
        </>
      )}
      {page.total > model.pageSize && <Pager model={model} />}
    </div>
  );
}

/** How many datasets were found (the results' one status). */
function ResultsHeader({ model }: { model: HoldingsModel }): JSX.Element {
  const trans = useTrans();
  const page = model.page;
  return (
    <div className="jp-JasminResults-header">
      <p
        className="jp-JasminResults-total"
        role="status"
        aria-label={trans.__('Datasets found')}
      >
        {page
          ? trans._n(
              '%2 dataset',
              '%2 datasets',
              page.total,
              page.total.toLocaleString()
            )
          : trans.__('Searching…')}
      </p>
      {model.searching && page && <Busy label={trans.__('Searching')} />}
    </div>
  );
}

function NoMatch({ model }: { model: HoldingsModel }): JSX.Element {
  const trans = useTrans();
  return (
    <div className="jp-JasminEmpty">
      <p>
        <strong>{trans.__('No datasets match.')}</strong>
      </p>
      <p className="jp-JasminMuted">
        {model.isFiltered
          ? trans.__('Remove a filter or clear them all.')
          : model.selection.latest
            ? trans.__('Try including superseded versions.')
            : trans.__('The index holds no datasets.')}
      </p>
    </div>
  );
}

function Pager({ model }: { model: HoldingsModel }): JSX.Element | null {
  const trans = useTrans();
  const page = model.page;
  if (!page) {
    return null;
  }
  const first = page.total ? page.offset + 1 : 0;
  const last = page.offset + page.datasets.length;
  return (
    <nav className="jp-JasminPager" aria-label={trans.__('Result pages')}>
      <Button
        small
        minimal
        aria-label={trans.__('Previous page')}
        disabled={page.offset === 0}
        onClick={() => model.setOffset(page.offset - model.pageSize)}
      >
        {trans.__('‹ Previous')}
      </Button>
      <span className="jp-JasminPager-range">
        {first}–{last} {trans.__('of')} {page.total}
      </span>
      <Button
        small
        minimal
        aria-label={trans.__('Next page')}
        disabled={last >= page.total}
        onClick={() => model.setOffset(page.offset + model.pageSize)}
      >
        {trans.__('Next ›')}
      </Button>
    </nav>
  );
}

/** Breaks a long dataset id after its dots, where a reader expects it. */
export function BreakableId({ id }: { id: string }): JSX.Element {
  const parts = id.split('.');
  return (
    <>
      {parts.map((part, i) => (
        <React.Fragment key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              .<wbr />
            </>
          )}
        </React.Fragment>
      ))}
    </>
  );
}

/** Whether a click or key press asks for a new tab (Ctrl, or Cmd on a Mac). */
const wantsNewTab = (event: React.MouseEvent | React.KeyboardEvent): boolean =>
  event.ctrlKey || event.metaKey;

function ResultItem({
  holding,
  dataset,
  open
}: {
  holding: string;
  dataset: IDatasetSummary;
  /** Open the dataset, in a new tab when `newTab`. */
  open: (newTab: boolean) => void;
}): JSX.Element {
  const trans = useTrans();
  const metaId = useId();
  const onClick = (event: React.MouseEvent<HTMLElement>): void => {
    // selecting the id's text to copy it is not a request to open it
    const selection = window.getSelection();
    if (
      selection &&
      !selection.isCollapsed &&
      event.currentTarget.contains(selection.anchorNode)
    ) {
      return;
    }
    open(wantsNewTab(event));
  };
  return (
    <li className="jp-JasminResult">
      <div
        className="jp-JasminResult-open"
        role="button"
        tabIndex={0}
        aria-label={trans.__('Open dataset %1', dataset.id)}
        aria-describedby={metaId}
        title={trans.__(
          'Open this dataset (Ctrl-click or the context menu: in a new tab)'
        )}
        data-holding={holding}
        data-dataset-id={dataset.id}
        onClick={onClick}
        onAuxClick={event => {
          // a middle click opens a new tab, as for a link
          if (event.button === 1) {
            event.preventDefault();
            open(true);
          }
        }}
        onKeyDown={event => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            open(wantsNewTab(event));
          }
        }}
      >
        <span className="jp-JasminResult-id">
          <BreakableId id={dataset.id} />
        </span>
        <span className="jp-JasminResult-meta" id={metaId}>
          <span>
            {trans._n(
              '%2 file',
              '%2 files',
              dataset.file_count,
              dataset.file_count.toLocaleString()
            )}
          </span>
          <span>{formatBytes(dataset.size)}</span>
          <span>{formatTimeRange(dataset.start, dataset.end)}</span>
          {!dataset.access.readable && <LockedBadge dataset={dataset} />}
          {dataset.latest ? (
            <span className="jp-JasminBadge jp-JasminBadge-latest">
              {trans.__('latest')}
            </span>
          ) : (
            <span className="jp-JasminBadge jp-JasminBadge-superseded">
              {trans.__('superseded')}
            </span>
          )}
        </span>
      </div>
    </li>
  );
}

/** A dataset this user cannot read: a lock and the group that grants access. */
export function LockedBadge({
  dataset
}: {
  dataset: Pick<IDatasetSummary, 'access'>;
}): JSX.Element {
  const trans = useTrans();
  const { group, reason } = dataset.access;
  return (
    <span
      className="jp-JasminBadge jp-JasminBadge-locked"
      title={reason ?? undefined}
      aria-label={
        group
          ? trans.__('Locked: access is by the Unix group %1', group)
          : trans.__('Locked: you cannot read this dataset')
      }
    >
      <lockIcon.react tag="span" className="jp-JasminBadge-icon" />
      {group ? trans.__('group %1', group) : trans.__('locked')}
    </span>
  );
}
