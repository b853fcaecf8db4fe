/**
 * The "Holdings" section of the JASMIN panel: pick a holding, see the state
 * of its index, and find datasets ESGF-style — facets with counts, removable
 * chips for the selection, a search box, a latest-versions toggle and a page
 * of results. A result opens the dataset view in the main area.
 */
import {
  Button,
  HTMLSelect,
  InputGroup,
  Toolbar,
  caretDownIcon,
  caretRightIcon,
  closeIcon,
  searchIcon
} from '@jupyterlab/ui-components';
import React, { useId, useState } from 'react';

import { refreshToolbar } from './panel';
import { WhileVisibleWidget } from './visible';
import { Alert, Busy } from './feedback';
import { IDatasetSummary, IFacetValue, IHolding } from './api';
import { formatBytes, formatDateTime, formatTimeRange, plural } from './format';
import { HoldingsModel, hasIndex } from './holdings-model';
import { AnalyseSelection, IAnalysis } from './analyse-selection';

/** Values a facet group lists before "Show all". */
const FACET_PREVIEW = 8;

const SEARCH_FIELD_CLASS = 'jp-JasminSearch-input';

/** Open a dataset of a holding (in the main area). */
export type OpenDataset = (holding: string, dataset: IDatasetSummary) => void;

/** The "Holdings" section: a widget for the JASMIN side panel. */
export class HoldingsSection extends WhileVisibleWidget {
  constructor(
    readonly model: HoldingsModel,
    private readonly openDataset: OpenDataset,
    private readonly analysis?: IAnalysis
  ) {
    super();
    this.id = 'jasmin-holdings';
    this.addClass('jp-JasminSection');
    this.addClass('jp-JasminHoldings');
    this.title.label = 'Holdings';
    this.title.caption = 'Datasets in the archives this server indexes';

    this.toolbar = refreshToolbar('Refresh holdings and search results', () =>
      this.refresh()
    );
    model.changed.connect(this.update, this);
  }

  /** Shown in the section's title bar. */
  readonly toolbar: Toolbar;

  refresh(): Promise<void> {
    return this.model.refresh();
  }

  /** Put the keyboard focus in the search box; false if it is not shown (yet). */
  focusSearch(): boolean {
    const field = this.node.querySelector<HTMLInputElement>(
      `.${SEARCH_FIELD_CLASS} input`
    );
    if (!field || !this.isVisible) {
      return false;
    }
    field.focus();
    field.select();
    field.scrollIntoView({ block: 'nearest' });
    return document.activeElement === field;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected resumeRefresh(): void {
    this.model.resume();
  }

  protected pauseRefresh(): void {
    this.model.pause();
  }

  render(): JSX.Element {
    return (
      <Holdings
        model={this.model}
        openDataset={this.openDataset}
        analysis={this.analysis}
      />
    );
  }
}

interface IProps {
  model: HoldingsModel;
  openDataset: OpenDataset;
  analysis?: IAnalysis;
}

function Holdings({ model, openDataset, analysis }: IProps): JSX.Element {
  if (!model.loaded) {
    return (
      <div className="jp-JasminHoldings-body">
        {model.listError ? (
          <Alert>{model.listError}</Alert>
        ) : (
          <Busy text="Loading holdings…" />
        )}
      </div>
    );
  }
  const holding = model.current;
  if (!holding) {
    return (
      <div className="jp-JasminHoldings-body">
        <div className="jp-JasminEmpty">
          <p>
            <strong>No holdings configured.</strong>
          </p>
          <p className="jp-JasminMuted">
            An administrator lists the archives to index in{' '}
            <code>c.Jasmin.holdings</code>.
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="jp-JasminHoldings-body">
      <HoldingPicker model={model} holding={holding} />
      <HoldingStatus model={model} holding={holding} />
      {model.listError && <Alert>{model.listError}</Alert>}
      <Search
        model={model}
        holding={holding}
        openDataset={openDataset}
        analysis={analysis}
      />
    </div>
  );
}

function holdingLabel(holding: IHolding): string {
  if (holding.datasets === null) {
    return `${holding.name} (${
      holding.state === 'indexing' ? 'indexing' : 'no index'
    })`;
  }
  return `${holding.name} (${plural(holding.datasets, 'dataset')}, ${plural(
    holding.files ?? 0,
    'file'
  )})`;
}

function HoldingPicker({
  model,
  holding
}: {
  model: HoldingsModel;
  holding: IHolding;
}): JSX.Element {
  const id = useId();
  return (
    <div className="jp-JasminField jp-JasminHoldings-picker">
      <label htmlFor={id}>Holding</label>
      <HTMLSelect
        id={id}
        aria-label="Holding"
        value={holding.name}
        title={holding.description || holding.root}
        onChange={event => model.selectHolding(event.target.value)}
        options={model.holdings.map(h => ({
          value: h.name,
          label: holdingLabel(h)
        }))}
      />
    </div>
  );
}

function HoldingStatus({
  model,
  holding
}: {
  model: HoldingsModel;
  holding: IHolding;
}): JSX.Element {
  const { name, state } = holding;
  const indexing = state === 'indexing';
  const progress = holding.refresh;
  let detail: JSX.Element;
  if (indexing) {
    detail = (
      <span>
        Indexing…{' '}
        {progress && progress.files !== undefined
          ? `${plural(progress.files, 'file')} in ${plural(
              progress.folders ?? 0,
              'folder'
            )} so far`
          : 'scanning folders'}
      </span>
    );
  } else if (holding.datasets !== null) {
    detail = (
      <span>
        {plural(holding.datasets, 'dataset')} ·{' '}
        {plural(holding.files ?? 0, 'file')}
      </span>
    );
  } else {
    detail = <span>Index not built yet</span>;
  }
  return (
    <div className={`jp-JasminHolding jp-JasminHolding-${state}`}>
      <div
        className="jp-JasminHolding-status"
        role="status"
        aria-label={`Status of ${name}`}
      >
        <span className={`jp-JasminBadge jp-JasminBadge-${state}`}>
          {state}
        </span>{' '}
        {detail}
      </div>
      {indexing && (
        <div
          className="jp-JasminProgress jp-JasminProgress-indeterminate"
          role="progressbar"
          aria-label={`Indexing ${name}`}
          aria-valuetext={
            progress?.files !== undefined
              ? `${plural(progress.files, 'file')} so far`
              : 'starting'
          }
        >
          <div className="jp-JasminProgress-bar" />
        </div>
      )}
      {holding.last_refresh && (
        <p
          className="jp-JasminMuted jp-JasminHolding-refreshed"
          title={`Index built ${holding.last_refresh}${
            holding.refresh_seconds !== null
              ? ` in ${holding.refresh_seconds.toFixed(2)} s`
              : ''
          } from ${holding.root}`}
        >
          Indexed {formatDateTime(holding.last_refresh)}
        </p>
      )}
      {holding.error && <Alert>{holding.error}</Alert>}
      {holding.unmatched !== null && <Unmatched holding={holding} />}
      <div className="jp-JasminHolding-actions">
        <Button
          small
          className="jp-mod-styled jp-mod-reject"
          aria-label={`Refresh index of ${name}`}
          title={
            indexing
              ? `${name} is being indexed`
              : `Scan ${holding.root} again for new, changed and removed datasets`
          }
          disabled={indexing || model.refreshing}
          onClick={() => void model.refreshIndex()}
        >
          {holding.datasets === null && !indexing
            ? 'Build index'
            : 'Refresh index'}
        </Button>
      </div>
      {model.refreshError && <Alert>{model.refreshError}</Alert>}
    </div>
  );
}

function Unmatched({ holding }: { holding: IHolding }): JSX.Element {
  const count = holding.unmatched ?? 0;
  if (count === 0) {
    return (
      <p className="jp-JasminMuted">Every file matched the {holding.drs} DRS</p>
    );
  }
  const listed = holding.unmatched_paths;
  return (
    <details className="jp-JasminDetails">
      <summary>
        {plural(count, 'file')} outside the {holding.drs} DRS
      </summary>
      <ul
        className="jp-JasminUnmatched"
        aria-label={`Unmatched paths of ${holding.name}`}
      >
        {listed.map(entry => (
          <li key={entry.path}>
            <code>{entry.path}</code>
            <span className="jp-JasminMuted">{entry.reason}</span>
          </li>
        ))}
        {count > listed.length && (
          <li className="jp-JasminMuted">
            and {plural(count - listed.length, 'more')}
          </li>
        )}
      </ul>
    </details>
  );
}

// --- search ------------------------------------------------------------------

function Search({
  model,
  holding,
  openDataset,
  analysis
}: IProps & { holding: IHolding }): JSX.Element {
  const latestId = useId();
  if (!hasIndex(holding)) {
    return (
      <div className="jp-JasminEmpty">
        <p>
          <strong>Index not built yet.</strong>
        </p>
        <p className="jp-JasminMuted">
          {holding.state === 'indexing'
            ? 'The datasets can be searched once the first scan ends.'
            : 'Build the index to search the datasets of this holding.'}
        </p>
      </div>
    );
  }
  return (
    <div className="jp-JasminSearch" role="search" aria-label="Datasets">
      <InputGroup
        className={SEARCH_FIELD_CLASS}
        type="search"
        aria-label="Search datasets"
        placeholder="Search datasets"
        title="Words in the dataset id, e.g. MIROC6 Amon (every word must match)"
        value={model.text}
        rightIcon={searchIcon}
        spellCheck={false}
        autoComplete="off"
        onChange={event => model.setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            model.applyText();
          } else if (event.key === 'Escape' && model.text) {
            event.stopPropagation();
            model.setText('');
            model.applyText();
          }
        }}
      />
      <div className="jp-JasminField-checkbox jp-JasminSearch-latest">
        <input
          id={latestId}
          type="checkbox"
          checked={model.selection.latest}
          onChange={event => model.setLatest(event.target.checked)}
        />
        <label
          htmlFor={latestId}
          title="Hide datasets superseded by a newer version"
        >
          Latest versions only
        </label>
      </div>
      <Chips model={model} />
      <Facets model={model} holding={holding} />
      <Results
        model={model}
        holding={holding}
        openDataset={openDataset}
        analysis={analysis}
      />
    </div>
  );
}

function Chips({ model }: { model: HoldingsModel }): JSX.Element | null {
  const chosen = model.chosen;
  const text = model.selection.text.trim();
  if (!chosen.length && !text) {
    return null;
  }
  return (
    <div className="jp-JasminChips">
      <ul className="jp-JasminChips-list" aria-label="Selected filters">
        {text && (
          <li className="jp-JasminChip">
            <span className="jp-JasminChip-facet">text</span>
            <span className="jp-JasminChip-value">“{text}”</span>
            <button
              type="button"
              className="jp-JasminChip-remove"
              aria-label={`Remove search text ${text}`}
              title="Clear the search text"
              onClick={() => {
                model.setText('');
                model.applyText();
              }}
            >
              <closeIcon.react tag="span" elementSize="small" />
            </button>
          </li>
        )}
        {chosen.map(({ facet, value }) => (
          <li className="jp-JasminChip" key={`${facet}=${value}`}>
            <span className="jp-JasminChip-facet">{facet}</span>
            <span className="jp-JasminChip-value">{value}</span>
            <button
              type="button"
              className="jp-JasminChip-remove"
              aria-label={`Remove ${facet} ${value}`}
              title={`Remove ${facet} = ${value} from the search`}
              onClick={() => model.setValue(facet, value, false)}
            >
              <closeIcon.react tag="span" elementSize="small" />
            </button>
          </li>
        ))}
      </ul>
      <Button
        small
        minimal
        className="jp-JasminChips-clear"
        title="Remove every facet value and the search text"
        onClick={() => model.clearAll()}
      >
        Clear all
      </Button>
    </div>
  );
}

function Facets({
  model,
  holding
}: {
  model: HoldingsModel;
  holding: IHolding;
}): JSX.Element | null {
  const counts = model.facetCounts;
  if (!counts) {
    return null;
  }
  return (
    <div className="jp-JasminFacets" role="group" aria-label="Facets">
      {holding.facets.map(facet => (
        <FacetGroup
          key={`${holding.name}/${facet}`}
          model={model}
          facet={facet}
          values={counts.facets[facet] ?? []}
        />
      ))}
    </div>
  );
}

function FacetGroup({
  model,
  facet,
  values
}: {
  model: HoldingsModel;
  facet: string;
  values: IFacetValue[];
}): JSX.Element {
  const id = useId();
  const [open, setOpen] = useState(false);
  const [showAll, setShowAll] = useState(false);
  // what the user chose, at once (the counts follow from the server)
  const chosen = new Set(model.selection.facets[facet] ?? []);
  const selected = chosen.size;
  const shown =
    showAll || values.length <= FACET_PREVIEW + 2
      ? values
      : values.filter((v, i) => i < FACET_PREVIEW || chosen.has(v.value));
  return (
    <div className={`jp-JasminFacet${selected ? ' jp-mod-selected' : ''}`}>
      <button
        type="button"
        className="jp-JasminFacet-toggle"
        aria-expanded={open}
        aria-controls={id}
        title={`${open ? 'Hide' : 'Show'} the values of ${facet}`}
        onClick={() => setOpen(!open)}
      >
        {open ? (
          <caretDownIcon.react tag="span" elementSize="small" />
        ) : (
          <caretRightIcon.react tag="span" elementSize="small" />
        )}
        <span className="jp-JasminFacet-name">{facet}</span>
        <span className="jp-JasminFacet-summary" aria-hidden="true">
          {selected ? `${selected} of ${values.length}` : values.length}
        </span>
      </button>
      {open && (
        <div id={id}>
          <ul className="jp-JasminFacet-values" aria-label={`${facet} values`}>
            {shown.map(v => (
              <li key={v.value}>
                <label
                  className={`jp-JasminFacet-value${
                    v.count === 0 ? ' jp-mod-empty' : ''
                  }`}
                  title={`${v.count} ${
                    v.count === 1 ? 'dataset' : 'datasets'
                  } with ${facet} = ${v.value}`}
                >
                  <input
                    type="checkbox"
                    checked={chosen.has(v.value)}
                    aria-label={`${facet} ${v.value} (${v.count})`}
                    onChange={event =>
                      model.setValue(facet, v.value, event.target.checked)
                    }
                  />
                  <span className="jp-JasminFacet-label">{v.value}</span>
                  <span className="jp-JasminFacet-count">{v.count}</span>
                </label>
              </li>
            ))}
          </ul>
          {shown.length < values.length || showAll ? (
            <Button
              small
              minimal
              className="jp-JasminFacet-more"
              aria-label={
                showAll
                  ? `Show fewer ${facet} values`
                  : `Show all ${values.length} ${facet} values`
              }
              onClick={() => setShowAll(!showAll)}
            >
              {showAll ? 'Show fewer' : `Show all ${values.length}`}
            </Button>
          ) : null}
        </div>
      )}
    </div>
  );
}

function Results({
  model,
  holding,
  openDataset,
  analysis
}: IProps & { holding: IHolding }): JSX.Element {
  const page = model.page;
  const error = model.searchError;
  const header = (
    <div className="jp-JasminResults-header">
      <p
        className="jp-JasminResults-total"
        role="status"
        aria-label="Datasets found"
      >
        {page ? plural(page.total, 'dataset') : 'Searching…'}
      </p>
      {model.searching && page && <Busy label="Searching" />}
    </div>
  );
  if (!page) {
    return (
      <div className="jp-JasminResults">
        {header}
        {error && <Alert>{error}</Alert>}
      </div>
    );
  }
  const first = page.total ? page.offset + 1 : 0;
  const last = page.offset + page.datasets.length;
  return (
    <div className={`jp-JasminResults${model.searching ? ' jp-mod-busy' : ''}`}>
      {header}
      {error && <Alert>{error}</Alert>}
      {page.total === 0 ? (
        <div className="jp-JasminEmpty">
          <p>
            <strong>No datasets match.</strong>
          </p>
          <p className="jp-JasminMuted">
            {model.isFiltered
              ? 'Remove a filter or clear them all.'
              : model.selection.latest
                ? 'Try including superseded versions.'
                : 'The index holds no datasets.'}
          </p>
        </div>
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
          <ul className="jp-JasminResults-list" aria-label="Datasets">
            {page.datasets.map(dataset => (
              <ResultItem
                key={dataset.id}
                dataset={dataset}
                open={() => openDataset(holding.name, dataset)}
              />
            ))}
          </ul>
        </>
      )}
      {page.total > model.pageSize && (
        <nav className="jp-JasminPager" aria-label="Result pages">
          <Button
            small
            minimal
            aria-label="Previous page"
            disabled={page.offset === 0}
            onClick={() => model.setOffset(page.offset - model.pageSize)}
          >
            ‹ Previous
          </Button>
          <span className="jp-JasminPager-range">
            {first}–{last} of {page.total}
          </span>
          <Button
            small
            minimal
            aria-label="Next page"
            disabled={last >= page.total}
            onClick={() => model.setOffset(page.offset + model.pageSize)}
          >
            Next ›
          </Button>
        </nav>
      )}
    </div>
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

function ResultItem({
  dataset,
  open
}: {
  dataset: IDatasetSummary;
  open: () => void;
}): JSX.Element {
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
    open();
  };
  return (
    <li className="jp-JasminResult">
      <div
        className="jp-JasminResult-open"
        role="button"
        tabIndex={0}
        aria-label={`Open dataset ${dataset.id}`}
        aria-describedby={metaId}
        title="Open this dataset"
        onClick={onClick}
        onKeyDown={event => {
          if (event.key === 'Enter' || event.key === ' ') {
            event.preventDefault();
            open();
          }
        }}
      >
        <span className="jp-JasminResult-id">
          <BreakableId id={dataset.id} />
        </span>
        <span className="jp-JasminResult-meta" id={metaId}>
          <span>{plural(dataset.file_count, 'file')}</span>
          <span>{formatBytes(dataset.size)}</span>
          <span>{formatTimeRange(dataset.start, dataset.end)}</span>
          {dataset.latest ? (
            <span className="jp-JasminBadge jp-JasminBadge-latest">latest</span>
          ) : (
            <span className="jp-JasminBadge jp-JasminBadge-superseded">
              superseded
            </span>
          )}
        </span>
      </div>
    </li>
  );
}
