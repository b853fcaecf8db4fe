/**
 * What the "Engine pools" section shows, kept fresh without a manual refresh:
 * the pools (polled every second while one is starting or stopping, every
 * three seconds otherwise), the VM's resources (every five seconds) and the
 * backends a new pool may use. One model, owned by the plugin, serves every
 * view that shows pools (the section, the dataset tabs' pool pickers); its
 * polls stand by while none of them is on screen or the browser tab is hidden.
 *
 * What is costly for a batch scheduler or large (a preview's `sbatch
 * --test-only`, a pending job's estimated start, a job's output) is asked on
 * demand only, never by the polls.
 */
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IBackends,
  IEstimate,
  ILogFile,
  ILogTail,
  INewPool,
  IOutput,
  IPool,
  IPreview,
  IResources,
  IScale,
  createPool,
  getBackends,
  getEngineSetEstimate,
  getEngineSetOutput,
  getPoolLog,
  getResources,
  getSnippet,
  listPoolLogs,
  listPools,
  previewPool,
  scalePool,
  stopPool
} from './api';

/** Poll intervals in milliseconds. */
export const FAST_POLL = 1000;
export const SLOW_POLL = 3000;
export const RESOURCES_POLL = 5000;
/** The longest wait between polls while the server does not answer. */
export const MAX_POLL = 30000;
/** Lines of a job's output shown at once. */
export const OUTPUT_LINES = 200;

/** A user action under way on one pool. */
export type PoolAction = 'scaling' | 'stopping';

const BUSY_STATES = new Set(['starting', 'stopping']);

export class PoolsModel {
  constructor() {
    const standby = (): boolean | Poll.Standby =>
      this._viewers.size === 0 || 'when-hidden';
    this._poolsPoll = new Poll({
      factory: () => this.fetchPools(),
      frequency: { interval: SLOW_POLL, backoff: true, max: MAX_POLL },
      standby,
      name: 'jupyter-jasmin:pools'
    });
    this._resourcesPoll = new Poll({
      factory: () => this.fetchResources(),
      frequency: { interval: RESOURCES_POLL, backoff: true, max: MAX_POLL },
      standby,
      name: 'jupyter-jasmin:resources'
    });
  }

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get pools(): readonly IPool[] {
    return this._pools;
  }

  get resources(): IResources | null {
    return this._resources;
  }

  get backends(): IBackends | null {
    return this._backends;
  }

  /** Whether the first list of pools has arrived. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Why the last poll failed (the server is down, say), or null. */
  get connectionError(): string | null {
    return this._connectionError;
  }

  /** The action under way on a pool, if any. */
  action(poolId: string): PoolAction | null {
    return this._actions.get(poolId) ?? null;
  }

  /** Whether a pool is changing, so the list is worth polling fast. */
  get isBusy(): boolean {
    return (
      this._actions.size > 0 ||
      this._pools.some(
        pool => BUSY_STATES.has(pool.state) || pool.engines.starting > 0
      )
    );
  }

  /** Whether the polls are standing by (no view on screen). */
  get isStandingBy(): boolean {
    return this._viewers.size === 0;
  }

  /**
   * A view of the pools is on screen: poll (and fetch now) while any is.
   * `view` is any object, told apart from the others by identity.
   */
  show(view: object): void {
    if (this._isDisposed) {
      return;
    }
    this._viewers.add(view);
    void this._poolsPoll.refresh();
    void this._resourcesPoll.refresh();
  }

  /** A view of the pools is hidden: the polls stand by once none is shown. */
  hide(view: object): void {
    this._viewers.delete(view);
  }

  /** Fetch everything now. */
  async refresh(): Promise<void> {
    await Promise.all([
      refreshed(this._poolsPoll),
      refreshed(this._resourcesPoll),
      this.fetchBackends()
    ]);
  }

  /** Fetch the backends again (a backend was chosen: show what it offers now). */
  refreshBackends(): Promise<void> {
    return this.fetchBackends();
  }

  async create(request: INewPool): Promise<IPool> {
    const pool = await this.mutate(() => createPool(request));
    this.replace(pool);
    void this._poolsPoll.refresh();
    void this._resourcesPoll.refresh();
    return pool;
  }

  /** Scale a part of a pool, or add one (`change.backend` another backend). */
  async scale(poolId: string, change: IScale): Promise<IPool> {
    const pool = await this.mutate(() => scalePool(poolId, change), {
      poolId,
      action: 'scaling'
    });
    this.replace(pool);
    void this._poolsPoll.refresh();
    void this._resourcesPoll.refresh();
    return pool;
  }

  async stop(poolId: string): Promise<IPool> {
    const pool = await this.mutate(() => stopPool(poolId), {
      poolId,
      action: 'stopping'
    });
    this.replace(pool);
    void this._poolsPoll.refresh();
    void this._resourcesPoll.refresh();
    return pool;
  }

  snippet(poolId: string): Promise<string> {
    return getSnippet(poolId);
  }

  /** What starting this pool would do (batch script, checks, estimated start). */
  preview(request: INewPool): Promise<IPreview> {
    return previewPool(request);
  }

  /** When the scheduler expects an engine set's pending job to start. */
  estimate(poolId: string, setId: string): Promise<IEstimate> {
    return getEngineSetEstimate(poolId, setId);
  }

  /** The last lines of an engine set's output (its batch job's output file). */
  output(
    poolId: string,
    setId: string,
    lines = OUTPUT_LINES
  ): Promise<IOutput> {
    return getEngineSetOutput(poolId, setId, lines);
  }

  /** The logs a pool keeps (its controller's, each engine set's). */
  logs(poolId: string): Promise<ILogFile[]> {
    return listPoolLogs(poolId);
  }

  /** The last lines of one of a pool's logs. */
  log(poolId: string, name: string, lines = OUTPUT_LINES): Promise<ILogTail> {
    return getPoolLog(poolId, name, lines);
  }

  /**
   * When the pool shown was read (ms since the epoch), so that the time left
   * before it is culled counts down between polls.
   */
  readAt(poolId: string): number {
    return this._readAt.get(poolId) ?? Date.now();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poolsPoll.dispose();
    this._resourcesPoll.dispose();
    Signal.clearData(this);
  }

  /**
   * Run a change on the server. A poll that was sent before the change ended
   * may describe the world before it, so such answers are dropped.
   */
  private async mutate<T>(
    change: () => Promise<T>,
    pending?: { poolId: string; action: PoolAction }
  ): Promise<T> {
    this._changes++;
    if (pending) {
      this._actions.set(pending.poolId, pending.action);
      this.followBusy();
      this._changed.emit();
    }
    try {
      return await change();
    } finally {
      this._changes++;
      if (pending) {
        this._actions.delete(pending.poolId);
        this._changed.emit();
      }
    }
  }

  /** Put a pool the server returned into the list (a stopped one leaves it). */
  private replace(pool: IPool): void {
    const others = this._pools.filter(p => p.id !== pool.id);
    if (pool.state === 'stopped') {
      this._pools = others;
    } else {
      const index = this._pools.findIndex(p => p.id === pool.id);
      this._pools =
        index < 0
          ? [...others, pool]
          : this._pools.map(p => (p.id === pool.id ? pool : p));
    }
    this._readAt.set(pool.id, Date.now());
    this._changed.emit();
  }

  /** One tick of the pools poll: fails (and backs off) while the server is away. */
  private async fetchPools(): Promise<void> {
    const changes = this._changes;
    try {
      const pools = await listPools();
      if (changes !== this._changes) {
        // a change ended meanwhile and asked for a fresh poll of its own
        return;
      }
      this._pools = pools;
      const now = Date.now();
      this._readAt = new Map(pools.map(pool => [pool.id, now]));
      this._loaded = true;
      this._connectionError = null;
    } catch (error) {
      this._connectionError = (error as Error).message;
      throw error;
    } finally {
      this.followBusy();
      this._changed.emit();
    }
  }

  /** Poll fast while a pool is changing, slowly otherwise (from the next tick). */
  private followBusy(): void {
    if (this._isDisposed) {
      return;
    }
    this._poolsPoll.frequency = {
      ...this._poolsPoll.frequency,
      interval: this.isBusy ? FAST_POLL : SLOW_POLL
    };
  }

  private async fetchResources(): Promise<void> {
    // the pools poll reports an unreachable server
    this._resources = await getResources();
    this._changed.emit();
  }

  private async fetchBackends(): Promise<void> {
    try {
      this._backends = await getBackends();
      this._changed.emit();
    } catch (error) {
      this._connectionError = (error as Error).message;
      this._changed.emit();
    }
  }

  private _pools: IPool[] = [];
  private _resources: IResources | null = null;
  private _backends: IBackends | null = null;
  private _readAt = new Map<string, number>();
  private _loaded = false;
  private _connectionError: string | null = null;
  private _actions = new Map<string, PoolAction>();
  private _changes = 0;
  private _isDisposed = false;
  private _viewers = new Set<object>();
  private _changed = new Signal<this, void>(this);
  private readonly _poolsPoll: Poll;
  private readonly _resourcesPoll: Poll;
}

/** Run a poll now and wait for its answer (or its standing by). */
export async function refreshed(poll: Poll): Promise<void> {
  await poll.refresh();
  await poll.tick.catch(() => undefined);
}
