/**
 * The dataset view, a main-area tab per dataset: its id, versions, time range
 * and files; the metadata xarray reads (dimensions, coordinates, variables,
 * global attributes); a quick-look picture; and snippets that open it in a
 * notebook or analyse it on an engine pool. The metadata and the picture are
 * produced by the server's worker processes and load independently.
 */
import { MainAreaWidget, Notification } from '@jupyterlab/apputils';
import {
  Button,
  HTMLSelect,
  ToolbarButton,
  refreshIcon
} from '@jupyterlab/ui-components';
import React, { useEffect, useId, useRef, useState } from 'react';

import { WhileVisibleWidget } from './visible';
import { Alert, Busy } from './feedback';
import {
  AttributeValue,
  FacetValue,
  IDataset,
  IDatasetMetadata,
  IPool,
  getDataset,
  getDatasetMetadata,
  getDatasetSnippet,
  getQuicklook
} from './api';
import {
  formatBytes,
  formatCell,
  formatTimeRange,
  formatValue,
  formatVersion,
  plural
} from './format';
import { BreakableId } from './holdings';
import { jasminIcon } from './icon';
import { PoolsModel } from './model';
import { NO_NOTEBOOK, SnippetTarget } from './snippets';

/** Facets that name who published a dataset rather than what it is. */
const PUBLISHER_FACETS = new Set([
  'mip_era',
  'activity_id',
  'institution_id',
  'project',
  'product',
  'institute'
]);

/** Facets whose value names a dataset's variable. */
const VARIABLE_FACETS = ['variable_id', 'variable', 'short_name'];

/**
 * The tab title of a dataset: its id without the leading publisher facets,
 * "CMIP6.CMIP.MIROC.MIROC6.historical…" → "MIROC6.historical…".
 */
export function shortDatasetId(
  id: string,
  facets?: Record<string, FacetValue>
): string {
  if (!facets) {
    return id;
  }
  let short = id;
  for (const [name, value] of Object.entries(facets)) {
    if (
      !PUBLISHER_FACETS.has(name) ||
      typeof value !== 'string' ||
      !short.startsWith(`${value}.`)
    ) {
      break;
    }
    short = short.slice(value.length + 1);
  }
  return short || id;
}

/** The DOM id of a dataset's tab: unique per holding and dataset id. */
export function datasetWidgetId(holding: string, id: string): string {
  const safe = (text: string): string =>
    text.replace(/[^A-Za-z0-9-]/g, c => `_${c.charCodeAt(0).toString(16)}`);
  return `jasmin-dataset-${safe(holding)}--${safe(id)}`;
}

/** Pools a snippet can use now. */
function runningPools(pools: readonly IPool[]): IPool[] {
  return pools.filter(p => p.state === 'running' || p.state === 'degraded');
}

export interface IDatasetViewOptions {
  holding: string;
  id: string;
  target: SnippetTarget;
  pools: PoolsModel;
  /** Open another dataset (another version) of the same holding. */
  openDataset: (holding: string, id: string) => void;
}

/** The content of a dataset's tab. */
export class DatasetView extends WhileVisibleWidget {
  constructor(private readonly options: IDatasetViewOptions) {
    super();
    this.holding = options.holding;
    this.datasetId = options.id;
    this.addClass('jp-JasminDataset');
    this.title.label = options.id;
    this.title.caption = `${options.id} (holding ${options.holding})`;
    this.title.icon = jasminIcon;
    this.title.closable = true;
    options.target.changed.connect(this.update, this);
    options.pools.changed.connect(this.update, this);
  }

  readonly holding: string;
  readonly datasetId: string;

  /** Fetch the dataset and its metadata again. */
  reload(): void {
    this._generation++;
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.options.pools.hide(this);
    this.options.target.changed.disconnect(this.update, this);
    this.options.pools.changed.disconnect(this.update, this);
    super.dispose();
  }

  /** The pool picker follows the pools model, polled while this tab shows. */
  protected resumeRefresh(): void {
    this.options.pools.show(this);
  }

  protected pauseRefresh(): void {
    this.options.pools.hide(this);
  }

  render(): JSX.Element {
    return (
      <DatasetPage
        key={this._generation}
        holding={this.holding}
        id={this.datasetId}
        target={this.options.target}
        pools={runningPools(this.options.pools.pools)}
        onLoaded={dataset => {
          this.title.label = shortDatasetId(dataset.id, dataset.facets);
        }}
        openDataset={id => this.options.openDataset(this.holding, id)}
      />
    );
  }

  private _generation = 0;
}

/** A dataset's tab: its view in a main-area widget with a reload button. */
export function createDatasetWidget(
  options: IDatasetViewOptions
): MainAreaWidget<DatasetView> {
  const content = new DatasetView(options);
  const widget = new MainAreaWidget({ content });
  widget.id = datasetWidgetId(options.holding, options.id);
  widget.addClass('jp-JasminDatasetPanel');
  widget.toolbar.addItem(
    'reload',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: 'Read the dataset and its metadata again',
      onClick: () => content.reload()
    })
  );
  return widget;
}

// --- the page ---------------------------------------------------------------

interface IPageProps {
  holding: string;
  id: string;
  target: SnippetTarget;
  pools: IPool[];
  onLoaded: (dataset: IDataset) => void;
  openDataset: (id: string) => void;
}

/** What a request under way will give: nothing yet, a value, or an error. */
type Loading<T> =
  | { state: 'loading' }
  | { state: 'done'; value: T; ms: number }
  | { state: 'failed'; error: string };

/** Fetch something once per `deps`, dropping the answer if they changed meanwhile. */
function useFetch<T>(fetch: () => Promise<T>, deps: unknown[]): Loading<T> {
  const [result, setResult] = useState<Loading<T>>({ state: 'loading' });
  useEffect(() => {
    let current = true;
    const started = performance.now();
    setResult({ state: 'loading' });
    fetch().then(
      value => {
        if (current) {
          setResult({
            state: 'done',
            value,
            ms: Math.round(performance.now() - started)
          });
        }
      },
      error => {
        if (current) {
          setResult({ state: 'failed', error: (error as Error).message });
        }
      }
    );
    return () => {
      current = false;
    };
  }, deps);
  return result;
}

function DatasetPage(props: IPageProps): JSX.Element {
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
    <article className="jp-JasminDataset-page" aria-label={`Dataset ${id}`}>
      <header className="jp-JasminDataset-header">
        <h1 className="jp-JasminDataset-id">
          <BreakableId id={id} />
        </h1>
        <div className="jp-JasminDataset-headerActions">
          <Button
            small
            minimal
            title="Copy the dataset id, to cite it"
            onClick={() => {
              props.target.copy(id);
              Notification.success('Dataset id copied', { autoClose: 3000 });
            }}
          >
            Copy dataset id
          </Button>
          <span className="jp-JasminMuted">holding {holding}</span>
        </div>
      </header>
      {dataset.state === 'loading' && (
        <Busy text="Reading the index…" announce />
      )}
      {dataset.state === 'failed' && <Alert>{dataset.error}</Alert>}
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

function guessVariable(dataset: IDataset): string | null {
  for (const facet of VARIABLE_FACETS) {
    const value = dataset.facets[facet];
    if (typeof value === 'string' && value) {
      return value;
    }
  }
  return null;
}

function Summary({
  dataset,
  openDataset
}: {
  dataset: IDataset;
  openDataset: (id: string) => void;
}): JSX.Element {
  const others = dataset.versions.filter(v => v.id !== dataset.id);
  return (
    <section className="jp-JasminDataset-section" aria-label="Summary">
      <dl className="jp-JasminDataset-summary">
        <dt>Version</dt>
        <dd>
          {formatVersion(dataset.version)}{' '}
          {dataset.latest ? (
            <span className="jp-JasminBadge jp-JasminBadge-latest">latest</span>
          ) : (
            <span className="jp-JasminBadge jp-JasminBadge-superseded">
              superseded
            </span>
          )}
        </dd>
        <dt>Other versions</dt>
        <dd>
          {others.length === 0 ? (
            <span className="jp-JasminMuted">none</span>
          ) : (
            <ul className="jp-JasminDataset-versions">
              {others.map(v => (
                <li key={v.id}>
                  <Button
                    small
                    minimal
                    aria-label={`Open version ${formatVersion(v.version)}`}
                    title={`Open ${v.id}`}
                    onClick={() => openDataset(v.id)}
                  >
                    {formatVersion(v.version)}
                  </Button>{' '}
                  <span className="jp-JasminMuted">
                    {plural(v.files, 'file')}, {formatBytes(v.size)}
                  </span>
                  {v.latest && (
                    <span className="jp-JasminBadge jp-JasminBadge-latest">
                      latest
                    </span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </dd>
        <dt>Time range</dt>
        <dd>{formatTimeRange(dataset.start, dataset.end)}</dd>
        <dt>Size</dt>
        <dd>
          {formatBytes(dataset.size)} in {plural(dataset.file_count, 'file')}
        </dd>
        <dt>Path</dt>
        <dd>
          <code className="jp-JasminDataset-path">{dataset.path}</code>
        </dd>
      </dl>
      <ul className="jp-JasminDataset-facets" aria-label="Facets">
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

function Snippets({
  holding,
  dataset,
  target,
  pools
}: {
  holding: string;
  dataset: IDataset;
  target: SnippetTarget;
  pools: IPool[];
}): JSX.Element {
  const poolFieldId = useId();
  const [poolId, setPoolId] = useState<string>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const pool = pools.find(p => p.id === poolId) ?? pools[0] ?? null;
  const noNotebook = target.notebook === null;

  const withSnippet = async (
    use: (code: string) => void,
    poolToUse?: IPool
  ): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      use(await getDatasetSnippet(holding, dataset.id, poolToUse?.id));
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const openDisabled = noNotebook || busy;
  const analyseDisabled = noNotebook || pool === null || busy;
  const analyseTitle =
    pool === null
      ? 'Start an engine pool in the JASMIN panel to analyse this dataset on it'
      : noNotebook
        ? NO_NOTEBOOK
        : `Add a cell that maps an area mean over the ${plural(
            dataset.file_count,
            'file'
          )} on pool ${pool.name} and combines the results`;

  return (
    <section
      className="jp-JasminDataset-section"
      aria-labelledby={`${poolFieldId}-title`}
    >
      <h2 id={`${poolFieldId}-title`}>Use in a notebook</h2>
      <div className="jp-JasminDataset-actions">
        <Button
          small
          className="jp-mod-styled jp-mod-accept"
          aria-disabled={openDisabled}
          title={
            noNotebook
              ? NO_NOTEBOOK
              : 'Add a cell that opens the dataset with xarray below the active cell'
          }
          onClick={() => {
            if (!openDisabled) {
              void withSnippet(code => target.insert(code));
            }
          }}
        >
          Insert open snippet
        </Button>
        <Button
          small
          minimal
          title="Copy code that opens the dataset with xarray"
          disabled={busy}
          onClick={() =>
            void withSnippet(code => {
              target.copy(code);
              Notification.success('Open snippet copied', { autoClose: 3000 });
            })
          }
        >
          Copy open snippet
        </Button>
      </div>
      <div className="jp-JasminDataset-actions">
        <label htmlFor={poolFieldId}>Pool</label>
        <HTMLSelect
          id={poolFieldId}
          aria-label="Pool for analysis"
          value={pool?.id ?? ''}
          disabled={pools.length === 0}
          title={
            pools.length === 0
              ? 'No running engine pool: start one in the JASMIN panel'
              : 'The engine pool to analyse the dataset on'
          }
          onChange={event => setPoolId(event.target.value)}
          options={
            pools.length === 0
              ? [{ value: '', label: 'No running pool' }]
              : pools.map(p => ({
                  value: p.id,
                  label: `${p.name} (${plural(p.engines.running, 'engine')})`
                }))
          }
        />
        <Button
          small
          className="jp-mod-styled jp-mod-accept"
          aria-disabled={analyseDisabled}
          title={analyseTitle}
          onClick={() => {
            if (!analyseDisabled && pool) {
              void withSnippet(code => target.insert(code), pool);
            }
          }}
        >
          Insert analyse-on-pool snippet
        </Button>
      </div>
      {error && <Alert>{error}</Alert>}
    </section>
  );
}

/** The theme the quick-look is drawn for, following JupyterLab's as it changes. */
function useTheme(): 'light' | 'dark' {
  const read = (): 'light' | 'dark' =>
    document.body.dataset.jpThemeLight === 'false' ? 'dark' : 'light';
  const [theme, setTheme] = useState(read);
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(read()));
    observer.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-light']
    });
    return () => observer.disconnect();
  }, []);
  return theme;
}

/** What the last picture shows, as the server reports it. */
interface IDrawn {
  url: string;
  alt: string;
  time: string | null;
  level: number | null;
  levels: string[];
  missing: string | null;
  ms: number;
}

function Quicklook({
  holding,
  id,
  guess,
  variables
}: {
  holding: string;
  id: string;
  /** The dataset's variable from its facets, drawn before the metadata is read. */
  guess: string | null;
  /** The data variables (not bounds), once the metadata has been read. */
  variables: string[] | null;
}): JSX.Element {
  const fieldId = useId();
  const theme = useTheme();
  const [chosen, setChosen] = useState<string | null>(null);
  // null until the user types: the box then shows the time step drawn
  const [timeDraft, setTimeDraft] = useState<string | null>(null);
  const [time, setTime] = useState<string | null>(null);
  const [level, setLevel] = useState<string | null>(null);
  const [drawn, setDrawn] = useState<IDrawn | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const urlRef = useRef<string | null>(null);

  const variable = chosen ?? guess;

  useEffect(() => {
    const abort = new AbortController();
    const started = performance.now();
    setLoading(true);
    setError(null);
    getQuicklook(holding, id, variable, time, level, theme, abort.signal).then(
      look => {
        if (abort.signal.aborted) {
          return;
        }
        const url = URL.createObjectURL(look.picture);
        if (urlRef.current) {
          URL.revokeObjectURL(urlRef.current);
        }
        urlRef.current = url;
        setDrawn({
          url,
          alt: `Quick-look of ${variable ?? 'the main variable'} in ${id}${
            time ? ` at ${time}` : ''
          }`,
          ...look,
          ms: Math.round(performance.now() - started)
        });
        setLoading(false);
      },
      reason => {
        if (!abort.signal.aborted) {
          setError((reason as Error).message);
          setLoading(false);
        }
      }
    );
    return () => abort.abort();
  }, [holding, id, variable, time, level, theme]);

  // the last picture's URL is freed with the view
  useEffect(
    () => () => {
      if (urlRef.current) {
        URL.revokeObjectURL(urlRef.current);
        urlRef.current = null;
      }
    },
    []
  );

  const choices = [...(variables ?? [])];
  if (variable && !choices.includes(variable)) {
    choices.unshift(variable);
  }
  const levels = drawn?.levels ?? [];
  const shownTime = timeDraft ?? drawn?.time ?? '';
  const asked = timeDraft === null ? time : timeDraft.trim() || null;

  return (
    <section
      className="jp-JasminDataset-section jp-JasminQuicklook"
      aria-labelledby={`${fieldId}-title`}
    >
      <h2 id={`${fieldId}-title`}>Quick-look</h2>
      <form
        className="jp-JasminDataset-actions"
        onSubmit={event => {
          event.preventDefault();
          setTime(asked);
        }}
      >
        <label htmlFor={`${fieldId}-variable`}>Variable</label>
        <HTMLSelect
          id={`${fieldId}-variable`}
          aria-label="Variable for quick-look"
          value={variable ?? ''}
          disabled={choices.length === 0}
          onChange={event => {
            setChosen(event.target.value || null);
            setLevel(null); // another variable may have other levels
          }}
          options={
            choices.length ? choices : [{ value: '', label: 'main variable' }]
          }
        />
        <label htmlFor={`${fieldId}-level`}>Level</label>
        <HTMLSelect
          id={`${fieldId}-level`}
          aria-label="Level for quick-look"
          value={level ?? String(drawn?.level ?? '')}
          disabled={levels.length === 0}
          onChange={event => setLevel(event.target.value || null)}
          options={
            levels.length
              ? levels.map((label, index) => ({ value: String(index), label }))
              : [{ value: '', label: 'none' }]
          }
        />
        <label htmlFor={`${fieldId}-time`}>Time</label>
        <input
          id={`${fieldId}-time`}
          className="jp-mod-styled jp-JasminQuicklook-time"
          type="text"
          aria-label="Time step for quick-look"
          placeholder="first with data"
          title="A time step: its index (0, 1, … or -1 for the last) or a date such as 1990-06 or 1990-06-15"
          value={shownTime}
          spellCheck={false}
          autoComplete="off"
          onChange={event => setTimeDraft(event.target.value)}
        />
        <Button
          type="submit"
          small
          className="jp-mod-styled jp-mod-reject"
          aria-label="Draw quick-look"
          disabled={loading && asked === time}
        >
          Draw
        </Button>
      </form>
      {loading && <Busy text="Drawing quick-look…" announce />}
      {error && <Alert>{error}</Alert>}
      {drawn && (
        <QuicklookFigure drawn={drawn} stale={loading || error !== null} />
      )}
    </section>
  );
}

/** The picture, and what it shows (or that it has no valid value) once current. */
function QuicklookFigure({
  drawn,
  stale
}: {
  drawn: IDrawn;
  stale: boolean;
}): JSX.Element {
  const shows = [
    drawn.time,
    drawn.level === null ? null : drawn.levels[drawn.level]
  ].filter(Boolean);
  return (
    <figure
      className={`jp-JasminQuicklook-figure${stale ? ' jp-mod-stale' : ''}`}
    >
      <img src={drawn.url} alt={drawn.alt} />
      {!stale && drawn.missing && (
        <Alert kind="info" className="jp-JasminQuicklook-missing">
          No data to draw: {drawn.missing}
        </Alert>
      )}
      {!stale && (
        <figcaption className="jp-JasminMuted">
          {shows.length ? `${shows.join(', ')}; d` : 'D'}rawn in{' '}
          {(drawn.ms / 1000).toFixed(1)} s
        </figcaption>
      )}
    </figure>
  );
}

function Metadata({
  metadata
}: {
  metadata: Loading<IDatasetMetadata>;
}): JSX.Element {
  const titleId = useId();
  let body: JSX.Element;
  if (metadata.state === 'loading') {
    body = <Busy text="Reading metadata…" />;
  } else if (metadata.state === 'failed') {
    body = <Alert>{metadata.error}</Alert>;
  } else {
    const { dimensions, coordinates, variables, attributes } = metadata.value;
    const attributeNames = Object.keys(attributes);
    body = (
      <>
        <h3>Dimensions</h3>
        <ul className="jp-JasminDataset-dimensions" aria-label="Dimensions">
          {Object.entries(dimensions).map(([name, size]) => (
            <li key={name}>
              <span className="jp-JasminChip-facet">{name}</span>{' '}
              <span className="jp-JasminChip-value">{size}</span>
            </li>
          ))}
        </ul>
        <h3>Coordinates</h3>
        <div className="jp-JasminTable-scroll">
          <table className="jp-JasminTable" aria-label="Coordinates">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Dimensions</th>
                <th scope="col">Size</th>
                <th scope="col">Type</th>
                <th scope="col">Range</th>
                <th scope="col">Units</th>
                <th scope="col">Calendar</th>
              </tr>
            </thead>
            <tbody>
              {coordinates.map(c => (
                <tr key={c.name}>
                  <th scope="row">{c.name}</th>
                  <td>{c.dims.join(', ')}</td>
                  <td className="jp-mod-number">{c.size}</td>
                  <td>{c.dtype}</td>
                  <td>
                    {c.min === undefined
                      ? '–'
                      : `${formatValue(c.min)} – ${formatValue(c.max)}`}
                  </td>
                  <td>{formatCell(c.units)}</td>
                  <td>{formatCell(c.calendar)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <h3>Data variables</h3>
        <div className="jp-JasminTable-scroll">
          <table className="jp-JasminTable" aria-label="Data variables">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Dimensions</th>
                <th scope="col">Shape</th>
                <th scope="col">Type</th>
                <th scope="col">Units</th>
                <th scope="col">long_name</th>
                <th scope="col">standard_name</th>
              </tr>
            </thead>
            <tbody>
              {variables.map(v => (
                <tr
                  key={v.name}
                  className={v.bounds ? 'jp-JasminTable-bounds' : undefined}
                  title={v.bounds ? 'Cell bounds of a coordinate' : undefined}
                >
                  <th scope="row">
                    {v.name}
                    {v.bounds && (
                      <span className="jp-JasminMuted"> (bounds)</span>
                    )}
                  </th>
                  <td>{v.dims.join(', ')}</td>
                  <td className="jp-mod-number">{v.shape.join(' × ')}</td>
                  <td>{v.dtype}</td>
                  <td>{formatCell(v.units)}</td>
                  <td>{formatCell(v.long_name)}</td>
                  <td>{formatCell(v.standard_name)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <details className="jp-JasminDetails jp-JasminAttributes">
          <summary>Global attributes ({attributeNames.length})</summary>
          <div className="jp-JasminTable-scroll">
            <table className="jp-JasminTable" aria-label="Global attributes">
              <tbody>
                {attributeNames.map(name => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td className="jp-JasminAttributes-value">
                      {attributeText(attributes[name])}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </details>
        <p className="jp-JasminMuted">
          Read from {plural(metadata.value.files_read, 'file')} in{' '}
          {(metadata.ms / 1000).toFixed(1)} s.
        </p>
      </>
    );
  }
  return (
    <section className="jp-JasminDataset-section" aria-labelledby={titleId}>
      <h2 id={titleId}>Metadata</h2>
      {body}
    </section>
  );
}

function attributeText(value: AttributeValue): string {
  return typeof value === 'string' ? value : formatValue(value);
}

function Files({ dataset }: { dataset: IDataset }): JSX.Element {
  const titleId = useId();
  return (
    <section className="jp-JasminDataset-section" aria-labelledby={titleId}>
      <h2 id={titleId}>Files ({dataset.files.length})</h2>
      <div className="jp-JasminTable-scroll">
        <table className="jp-JasminTable" aria-label="Files">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Size</th>
              <th scope="col">Start</th>
              <th scope="col">End</th>
            </tr>
          </thead>
          <tbody>
            {dataset.files.map(file => (
              <tr key={file.path} title={file.absolute_path}>
                <th scope="row" className="jp-JasminTable-file">
                  {file.name}
                </th>
                <td className="jp-mod-number">{formatBytes(file.size)}</td>
                <td>{file.start ?? '–'}</td>
                <td>{file.end ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
