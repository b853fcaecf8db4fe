/**
 * The "Engine pools" section of the JASMIN panel: this VM's resources, the
 * user's engine pools (with their engines, and for batch pools their jobs), a
 * form to start a new pool, and per pool the actions the server allows
 * (`pool.actions`): scale, stop or dismiss, insert and copy the snippet.
 */
import { Notification } from '@jupyterlab/apputils';
import { Button, Toolbar } from '@jupyterlab/ui-components';
import React, { useRef, useState } from 'react';

import { refreshToolbar } from './panel';
import { WhileVisibleWidget } from './visible';
import { IPool, IResources, PoolState } from './api';
import { Alert } from './feedback';
import {
  EMPTY_POOL_NOTE,
  formatBytes,
  formatEngineProcess,
  formatLoad,
  formatPercent,
  shownPoolState
} from './format';
import { coresInUse } from './limits';
import { AddEngines } from './burst';
import { IdleLine } from './idle';
import { PoolLogs } from './logs';
import { PoolAction, PoolsModel } from './model';
import { PartList, Run } from './pool-parts';
import { NAME_FIELD_CLASS, NewPoolForm } from './new-pool';
import { NO_NOTEBOOK, SnippetTarget } from './snippets';
import { TaskProgress, confirmStop } from './tasks';

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
    this.title.caption =
      'ipyparallel engine pools on this VM and in batch jobs';

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
    this.model.hide(this);
    this.model.changed.disconnect(this.update, this);
    this.target.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected resumeRefresh(): void {
    this.model.show(this);
    // what a batch scheduler offers (partitions, accounts) is learnt by the
    // server in the background and may have changed since last shown
    void this.model.refreshBackends();
  }

  protected pauseRefresh(): void {
    this.model.hide(this);
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
      {model.connectionError && <Alert>{model.connectionError}</Alert>}
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
        <dd
          title={`Engines of your pools on this VM, one core each; ${cores.usable} of its ${cores.logical ?? '?'} cores are usable by pools`}
        >
          {coresInUse(cores.in_use, cores.usable)}
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

function PoolList({ model, target }: ISectionProps): JSX.Element {
  // once pools have been seen, an empty list means they were stopped
  const seenPools = useRef(false);
  seenPools.current ||= model.pools.length > 0;
  if (!model.loaded) {
    return model.connectionError ? (
      <></>
    ) : (
      <p className="jp-JasminMuted">Loading pools…</p>
    );
  }
  if (model.pools.length === 0) {
    return (
      <p className="jp-JasminMuted jp-JasminPools-empty">
        {seenPools.current ? 'No pools running.' : 'No pools yet.'}
      </p>
    );
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
  backendLabel?: string;
}

/**
 * A pool item's one error line: `run` sends a request and keeps the server's
 * message if it is refused, `fail` shows a message of the panel's own.
 */
function useItemError(): {
  error: string | null;
  run: Run;
  fail: (message: string) => void;
} {
  const [error, setError] = useState<string | null>(null);
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
  return { error, run, fail: setError };
}

/** Whether the pool's error is shown: it failed, lost engines, or was culled. */
const ERROR_STATES = new Set<PoolState>(['failed', 'degraded', 'stopped']);

function PoolItem(props: IPoolItemProps): JSX.Element {
  const { pool, action, model, target, backendLabel } = props;
  const { error, run, fail } = useItemError();
  const name = pool.name;
  const state: PoolState = action === 'stopping' ? 'stopping' : pool.state;
  const parts = { pool, model, backends: model.backends, action, run, fail };
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
      <PoolStatus pool={pool} state={state} action={action} />
      <TaskProgress pool={pool} />
      <IdleLine pool={pool} readAt={model.readAt(pool.id)} />
      {pool.error && ERROR_STATES.has(state) && (
        <p className="jp-JasminPool-error">{pool.error}</p>
      )}
      <PoolActions {...props} state={state} run={run} />
      {!pool.actions.dismiss && (
        <SnippetActions
          pool={pool}
          model={model}
          target={target}
          usable={
            pool.actions.connect &&
            state !== 'stopping' &&
            action === null &&
            pool.engines.requested > 0
          }
          run={run}
        />
      )}
      {error && <Alert>{error}</Alert>}
      <PartList {...parts} />
      <AddEngines {...parts} />
      {pool.engines.list.length > 0 && <EngineTable pool={pool} />}
      <PoolLogs pool={pool} model={model} />
    </li>
  );
}

function PoolStatus({
  pool,
  state,
  action
}: {
  pool: IPool;
  state: PoolState;
  action: PoolAction | null;
}): JSX.Element {
  const { requested, running } = pool.engines;
  const shown = shownPoolState(state, requested);
  const busyText =
    action === 'stopping'
      ? 'Stopping…'
      : action === 'scaling'
        ? 'Scaling…'
        : null;
  return (
    <>
      <div className="jp-JasminPool-status" role="status">
        <span className={`jp-JasminBadge jp-JasminBadge-${shown}`}>
          {shown}
        </span>{' '}
        <span className="jp-JasminPool-count">
          {shown === 'empty'
            ? EMPTY_POOL_NOTE
            : `${running}/${requested} engines`}
        </span>
        {busyText && <span className="jp-JasminMuted"> {busyText}</span>}
      </div>
      {pool.actions.scale && running < requested && (
        <div
          className="jp-JasminProgress"
          role="progressbar"
          aria-label={`Engines started in pool ${pool.name}`}
          aria-valuemin={0}
          aria-valuemax={requested}
          aria-valuenow={running}
          aria-valuetext={`${running} of ${requested} engines`}
        >
          <div
            className="jp-JasminProgress-bar"
            style={{ width: `${requested ? (100 * running) / requested : 0}%` }}
          />
        </div>
      )}
    </>
  );
}

/** Stop, or dismiss a failed or culled pool, as far as the server allows. */
function PoolActions({
  pool,
  state,
  action,
  model,
  run
}: IPoolItemProps & { state: PoolState; run: Run }): JSX.Element | null {
  const name = pool.name;
  const { stop, dismiss } = pool.actions;
  if (!stop && !dismiss) {
    return null;
  }
  return (
    <div className="jp-JasminPool-actions">
      <Button
        small
        className={stop ? 'jp-mod-styled jp-mod-warn' : 'jp-mod-styled'}
        aria-label={`${stop ? 'Stop' : 'Dismiss'} pool ${name}`}
        title={
          stop
            ? `Stop the controller and engines of pool ${name}`
            : `Remove ${state} pool ${name} and its logs from the list`
        }
        disabled={action !== null}
        onClick={() =>
          void (async () => {
            // a pool with work: a notebook mapping on it would get an error
            if (!stop || (await confirmStop(pool))) {
              await run(() => model.stop(pool.id));
            }
          })()
        }
      >
        {stop ? 'Stop' : 'Dismiss'}
      </Button>
    </div>
  );
}

interface ISnippetProps extends ISectionProps {
  pool: IPool;
  usable: boolean;
  run: Run;
}

/** Insert a cell that connects to the pool into the notebook, or copy its code. */
function SnippetActions(props: ISnippetProps): JSX.Element {
  const { pool, model, target, usable, run } = props;
  const [busy, setBusy] = useState(false);
  const name = pool.name;
  const withSnippet = async (use: (code: string) => void): Promise<void> => {
    setBusy(true);
    try {
      await run(async () => use(await model.snippet(pool.id)));
    } finally {
      setBusy(false);
    }
  };
  const noNotebook = target.notebook === null;
  const insertDisabled = noNotebook || !usable || busy;
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
  return (
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
              : unusableReason(pool)
        }
        onClick={onInsert}
      >
        Insert snippet
      </Button>
      <Button
        small
        minimal
        aria-label={`Copy snippet for pool ${name}`}
        title={
          usable
            ? `Copy code that connects to pool ${name}`
            : unusableReason(pool)
        }
        disabled={!usable || busy}
        onClick={onCopy}
      >
        Copy snippet
      </Button>
    </div>
  );
}

/** Why a pool's snippet cannot be used now. */
function unusableReason(pool: IPool): string {
  return pool.engines.requested === 0 && pool.state === 'running'
    ? `Pool ${pool.name} has ${EMPTY_POOL_NOTE}`
    : `Pool ${pool.name} is ${pool.state}`;
}

function EngineTable({ pool }: { pool: IPool }): JSX.Element {
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
