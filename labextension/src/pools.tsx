/**
 * The "Engine pools" section of the JASMIN panel: this VM's resources, the
 * user's ipyparallel engine pools with their engines, a form to start a new
 * pool, and per pool the actions scale, stop, insert and copy snippet.
 */
import { Notification } from '@jupyterlab/apputils';
import {
  Button,
  Toolbar
} from '@jupyterlab/ui-components';
import React, { useEffect, useId, useState } from 'react';

import { refreshToolbar } from './panel';
import { WhileVisibleWidget } from './visible';
import {
  IBackend,
  IBackendOption,
  IBackends,
  IPool,
  IResources,
  OptionValue,
  PoolState
} from './api';
import {
  formatBytes,
  formatEngineProcess,
  formatLoad,
  formatPercent
} from './format';
import { PoolAction, PoolsModel } from './model';
import { NO_NOTEBOOK, SnippetTarget } from './snippets';

const NAME_FIELD_CLASS = 'jp-JasminNewPool-name';

/** The "Engine pools" section: a widget for the JASMIN side panel. */
export class EnginePoolsSection extends WhileVisibleWidget {
  constructor(
    readonly model: PoolsModel,
    private readonly target: SnippetTarget
  ) {
    super();
    this.id = 'jasmin-engine-pools';
    this.addClass('jp-JasminSection');
    this.addClass('jp-JasminPools');
    this.title.label = 'Engine pools';
    this.title.caption = 'ipyparallel engine pools on this VM';

    this.toolbar = refreshToolbar('Refresh engine pools', () => this.refresh());

    model.changed.connect(this.update, this);
    target.changed.connect(this.update, this);
  }

  /** Shown in the section's title bar. */
  readonly toolbar: Toolbar;

  /** Fetch pools, resources and backends now. */
  refresh(): Promise<void> {
    return this.model.refresh();
  }

  /** Put the keyboard focus in the New pool form's first field. */
  focusNewPoolForm(): void {
    const field = this.node.querySelector<HTMLInputElement>(
      `.${NAME_FIELD_CLASS}`
    );
    field?.focus();
    field?.scrollIntoView({ block: 'nearest' });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this.update, this);
    this.target.changed.disconnect(this.update, this);
    this.model.dispose();
    super.dispose();
  }

  protected resumeRefresh(): void {
    this.model.resume();
  }

  protected pauseRefresh(): void {
    this.model.pause();
  }

  render(): JSX.Element {
    return <EnginePools model={this.model} target={this.target} />;
  }
}

interface ISectionProps {
  model: PoolsModel;
  target: SnippetTarget;
}

function EnginePools({ model, target }: ISectionProps): JSX.Element {
  const backends = model.backends;
  return (
    <div className="jp-JasminPools-body">
      <ResourcesLine resources={model.resources} />
      {model.connectionError && (
        <p className="jp-JasminAlert" role="alert">
          {model.connectionError}
        </p>
      )}
      <PoolList model={model} target={target} />
      <NewPoolForm model={model} backends={backends} />
    </div>
  );
}

function ResourcesLine({
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
        <dd title="Usable by pools / logical cores of this VM">
          {cores.usable}/{cores.logical ?? '–'}
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

function maxEngines(backends: IBackends | null, backend?: IBackend): number {
  const limits = [
    backends?.limits.max_engines_per_pool,
    backend?.limits.max_engines
  ].filter((n): n is number => typeof n === 'number');
  return limits.length ? Math.min(...limits) : 1;
}

function PoolList({ model, target }: ISectionProps): JSX.Element {
  if (!model.loaded) {
    return model.connectionError ? (
      <></>
    ) : (
      <p className="jp-JasminMuted">Loading pools…</p>
    );
  }
  if (model.pools.length === 0) {
    return <p className="jp-JasminMuted jp-JasminPools-empty">No pools yet.</p>;
  }
  const backends = model.backends;
  return (
    <ul className="jp-JasminPoolList" aria-label="Engine pools">
      {model.pools.map(pool => {
        const backend = backends?.backends.find(b => b.name === pool.backend);
        return (
          <PoolItem
            key={pool.id}
            pool={pool}
            action={model.action(pool.id)}
            model={model}
            target={target}
            maxEngines={maxEngines(backends, backend)}
            backendLabel={backend?.label}
          />
        );
      })}
    </ul>
  );
}

interface IPoolItemProps extends ISectionProps {
  pool: IPool;
  action: PoolAction | null;
  maxEngines: number;
  backendLabel?: string;
}

function PoolItem({
  pool,
  action,
  model,
  target,
  maxEngines,
  backendLabel
}: IPoolItemProps): JSX.Element {
  const [draft, setDraft] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [snippetBusy, setSnippetBusy] = useState(false);

  const name = pool.name;
  const state: PoolState = action === 'stopping' ? 'stopping' : pool.state;
  const { requested, running } = pool.engines;
  // what may be done is the server's to say (pool.actions)
  const scalable = pool.actions.scale && state !== 'stopping';
  const usable = pool.actions.connect && state !== 'stopping' && action === null;
  const failed = state === 'failed';
  const engines = draft ?? String(requested);

  const run = async (what: () => Promise<unknown>): Promise<boolean> => {
    setError(null);
    try {
      await what();
      return true;
    } catch (reason) {
      setError((reason as Error).message);
      return false;
    }
  };

  const onScale = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const count = Number(engines);
    if (engines.trim() === '' || !Number.isInteger(count) || count < 0) {
      setError(`Engines must be a whole number from 0 to ${maxEngines}`);
      return;
    }
    if (await run(() => model.scale(pool.id, count))) {
      setDraft(null);
    }
  };

  const onStop = (): void => {
    void run(() => model.stop(pool.id));
  };

  const withSnippet = async (use: (code: string) => void): Promise<void> => {
    setSnippetBusy(true);
    try {
      await run(async () => use(await model.snippet(pool.id)));
    } finally {
      setSnippetBusy(false);
    }
  };

  const noNotebook = target.notebook === null;
  const insertDisabled = noNotebook || !usable || snippetBusy;
  const onInsert = (): void => {
    if (!insertDisabled) {
      void withSnippet(code => target.insert(code));
    }
  };
  const onCopy = (): void => {
    void withSnippet(code => {
      target.copy(code);
      Notification.success(`Snippet for pool ${name} copied`, {
        autoClose: 3000
      });
    });
  };

  const showProgress = pool.actions.scale && running < requested;
  const busyText =
    action === 'stopping'
      ? 'Stopping…'
      : action === 'scaling'
        ? 'Scaling…'
        : null;

  return (
    <li
      className={`jp-JasminPool jp-JasminPool-${state}`}
      aria-label={`Pool ${name}`}
    >
      <div className="jp-JasminPool-header">
        <span className="jp-JasminPool-name" title={`Pool id ${pool.id}`}>
          {name}
        </span>
        <span className="jp-JasminPool-backend" title={backendLabel}>
          {pool.backend}
        </span>
      </div>
      <div className="jp-JasminPool-status" role="status">
        <span className={`jp-JasminBadge jp-JasminBadge-${state}`}>
          {state}
        </span>{' '}
        <span className="jp-JasminPool-count">
          {running}/{requested} engines
        </span>
        {busyText && (
          <span className="jp-JasminMuted"> {busyText}</span>
        )}
      </div>
      {showProgress && (
        <div
          className="jp-JasminProgress"
          role="progressbar"
          aria-label={`Engines started in pool ${name}`}
          aria-valuemin={0}
          aria-valuemax={requested}
          aria-valuenow={running}
          aria-valuetext={`${running} of ${requested} engines`}
        >
          <div
            className="jp-JasminProgress-bar"
            style={{
              width: `${requested ? (100 * running) / requested : 0}%`
            }}
          />
        </div>
      )}
      {pool.error && (failed || state === 'degraded') && (
        <p className="jp-JasminPool-error">{pool.error}</p>
      )}
      <div className="jp-JasminPool-actions">
        {scalable && (
          <form className="jp-JasminPool-scale" onSubmit={onScale} noValidate>
            <input
              className="jp-mod-styled jp-JasminNumber"
              type="number"
              min={0}
              max={maxEngines}
              step={1}
              value={engines}
              disabled={action !== null}
              aria-label={`Engines for pool ${name}`}
              title={`Engines for pool ${name} (0-${maxEngines})`}
              onChange={event => setDraft(event.target.value)}
            />
            <Button
              type="submit"
              small
              className="jp-mod-styled jp-mod-reject"
              disabled={action !== null}
              aria-label={`Scale pool ${name}`}
              title={`Start or stop engines so pool ${name} has this many`}
            >
              Scale
            </Button>
          </form>
        )}
        <Button
          small
          className="jp-mod-styled jp-mod-warn"
          aria-label={`${failed ? 'Dismiss' : 'Stop'} pool ${name}`}
          title={
            failed
              ? `Remove failed pool ${name} from the list`
              : `Stop the controller and engines of pool ${name}`
          }
          disabled={state === 'stopping' || action !== null}
          onClick={onStop}
        >
          {failed ? 'Dismiss' : 'Stop'}
        </Button>
      </div>
      {!failed && (
        <div className="jp-JasminPool-actions">
          <Button
            small
            minimal
            aria-label={`Insert snippet for pool ${name}`}
            aria-disabled={insertDisabled}
            className={insertDisabled ? 'jp-mod-disabled' : undefined}
            title={
              noNotebook
                ? NO_NOTEBOOK
                : usable
                  ? `Add a cell that connects to pool ${name} below the active cell`
                  : `Pool ${name} is ${state}`
            }
            onClick={onInsert}
          >
            Insert snippet
          </Button>
          <Button
            small
            minimal
            aria-label={`Copy snippet for pool ${name}`}
            title={`Copy code that connects to pool ${name}`}
            disabled={!usable || snippetBusy}
            onClick={onCopy}
          >
            Copy snippet
          </Button>
        </div>
      )}
      {error && (
        <p className="jp-JasminAlert" role="alert">
          {error}
        </p>
      )}
      {pool.engines.list.length > 0 && <EngineTable pool={pool} />}
    </li>
  );
}

function EngineTable({ pool }: { pool: IPool }): JSX.Element {
  const list = pool.engines.list;
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

/** Default form values of a backend's options, as the inputs hold them. */
function optionDefaults(backend?: IBackend): Record<string, OptionValue> {
  const values: Record<string, OptionValue> = {};
  for (const option of backend?.options ?? []) {
    values[option.name] =
      option.type === 'boolean' ? Boolean(option.default) : String(option.default);
  }
  return values;
}

/** An option's form value as the server wants it, or an error message. */
function parseOption(
  option: IBackendOption,
  value: OptionValue | undefined
): OptionValue | { error: string } {
  switch (option.type) {
    case 'boolean':
      return Boolean(value);
    case 'integer':
    case 'number': {
      const text = String(value ?? '').trim();
      const number = Number(text);
      if (
        text === '' ||
        !Number.isFinite(number) ||
        (option.type === 'integer' && !Number.isInteger(number))
      ) {
        return {
          error: `${option.label} must be a ${
            option.type === 'integer' ? 'whole ' : ''
          }number`
        };
      }
      return number;
    }
    default:
      return String(value ?? '');
  }
}

function NewPoolForm({
  model,
  backends
}: {
  model: PoolsModel;
  backends: IBackends | null;
}): JSX.Element {
  const id = useId();
  const [name, setName] = useState('');
  const [engines, setEngines] = useState<string | null>(null);
  const [backendName, setBackendName] = useState<string | null>(null);
  const [options, setOptions] = useState<Record<string, OptionValue>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const backend =
    backends?.backends.find(b => b.name === backendName) ??
    backends?.backends[0];
  const limit = maxEngines(backends, backend);

  // fill in the defaults once the backends arrive
  useEffect(() => {
    if (backends && engines === null) {
      setEngines(String(Math.min(backends.suggested_engines, limit)));
    }
  }, [backends]);
  useEffect(() => {
    setOptions(optionDefaults(backend));
  }, [backend?.name, backends !== null]);

  const onSubmit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    setError(null);
    const count = Number(engines);
    if (!engines || !Number.isInteger(count) || count < 1) {
      setError(`Engines must be a whole number from 1 to ${limit}`);
      return;
    }
    const values: Record<string, OptionValue> = {};
    for (const option of backend?.options ?? []) {
      const value = parseOption(option, options[option.name]);
      if (typeof value === 'object') {
        setError(value.error);
        return;
      }
      values[option.name] = value;
    }
    setBusy(true);
    try {
      await model.create({
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(backend ? { backend: backend.name } : {}),
        engines: count,
        ...(backend?.options.length ? { options: values } : {})
      });
      setName('');
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };

  const field = (suffix: string): string => `${id}-${suffix}`;

  return (
    <form
      className="jp-JasminNewPool"
      aria-labelledby={field('title')}
      onSubmit={onSubmit}
      noValidate
    >
      <h3 className="jp-JasminNewPool-title" id={field('title')}>
        New pool
      </h3>
      <div className="jp-JasminField">
        <label htmlFor={field('name')}>Name</label>
        <input
          id={field('name')}
          className={`jp-mod-styled ${NAME_FIELD_CLASS}`}
          type="text"
          value={name}
          maxLength={64}
          placeholder="optional"
          autoComplete="off"
          spellCheck={false}
          title="Letters, digits, '.', '_' or '-'; leave empty for pool-N"
          onChange={event => setName(event.target.value)}
        />
      </div>
      <div className="jp-JasminField">
        <label htmlFor={field('engines')}>Engines</label>
        <input
          id={field('engines')}
          className="jp-mod-styled jp-JasminNumber"
          type="number"
          min={1}
          max={limit}
          step={1}
          value={engines ?? ''}
          title={`1 to ${limit} engines`}
          onChange={event => setEngines(event.target.value)}
        />
      </div>
      {backends && backends.backends.length > 1 && (
        <div className="jp-JasminField">
          <label htmlFor={field('backend')}>Backend</label>
          <select
            id={field('backend')}
            className="jp-mod-styled"
            value={backend?.name}
            title={backend?.description}
            onChange={event => setBackendName(event.target.value)}
          >
            {backends.backends.map(b => (
              <option key={b.name} value={b.name}>
                {b.label}
              </option>
            ))}
          </select>
        </div>
      )}
      {backend?.options.map(option => (
        <OptionField
          key={`${backend.name}-${option.name}`}
          id={field(`option-${option.name}`)}
          option={option}
          value={options[option.name]}
          onChange={value =>
            setOptions(current => ({ ...current, [option.name]: value }))
          }
        />
      ))}
      {error && (
        <p className="jp-JasminAlert" role="alert">
          {error}
        </p>
      )}
      <div className="jp-JasminNewPool-submit">
        <Button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          disabled={busy || !backends}
        >
          {busy ? 'Starting…' : 'Start pool'}
        </Button>
      </div>
    </form>
  );
}

function OptionField({
  id,
  option,
  value,
  onChange
}: {
  id: string;
  option: IBackendOption;
  value: OptionValue | undefined;
  onChange: (value: OptionValue) => void;
}): JSX.Element {
  const help = option.help || undefined;
  if (option.type === 'boolean') {
    return (
      <div className="jp-JasminField jp-JasminField-checkbox">
        <input
          id={id}
          type="checkbox"
          checked={Boolean(value)}
          title={help}
          onChange={event => onChange(event.target.checked)}
        />
        <label htmlFor={id} title={help}>
          {option.label}
        </label>
      </div>
    );
  }
  let input: JSX.Element;
  if (option.type === 'select') {
    input = (
      <select
        id={id}
        className="jp-mod-styled"
        value={String(value ?? '')}
        title={help}
        onChange={event => onChange(event.target.value)}
      >
        {(option.choices ?? []).map(choice => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    );
  } else if (option.type === 'integer' || option.type === 'number') {
    input = (
      <input
        id={id}
        className="jp-mod-styled jp-JasminNumber"
        type="number"
        min={option.minimum}
        max={option.maximum}
        step={option.type === 'integer' ? 1 : 'any'}
        value={String(value ?? '')}
        title={help}
        onChange={event => onChange(event.target.value)}
      />
    );
  } else {
    input = (
      <input
        id={id}
        className="jp-mod-styled"
        type="text"
        value={String(value ?? '')}
        title={help}
        onChange={event => onChange(event.target.value)}
      />
    );
  }
  return (
    <div className="jp-JasminField">
      <label htmlFor={id} title={help}>
        {option.label}
      </label>
      {input}
    </div>
  );
}
