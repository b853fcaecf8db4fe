/**
 * What the "Engine pools" section shows, kept fresh without a manual refresh:
 * the pools (polled every second while one is starting or stopping, every
 * three seconds otherwise), the VM's resources (every five seconds) and the
 * backends a new pool may use. Polling pauses while the section is hidden.
 *
 * What is costly for a batch scheduler or large (a preview's `sbatch
 * --test-only`, a pending job's estimated start, a job's output) is asked on
 * demand only, never by the polls.
 */
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
/** Lines of a job's output shown at once. */
export const OUTPUT_LINES = 200;

/** A user action under way on one pool. */
export type PoolAction = 'scaling' | 'stopping';

const BUSY_STATES = new Set(['starting', 'stopping']);

/** Run a function again and again, waiting `interval()` ms after each run. */
export class Repeater {
  constructor(
    private readonly run: () => Promise<void>,
    private readonly interval: () => number
  ) {}

  /** Start, or run now and carry on if already started. */
  start(): void {
    this._running = true;
    this.now();
  }

  stop(): void {
    this._running = false;
    this.clearTimer();
  }

  /** Run as soon as possible, then resume the schedule. */
  now(): Promise<void> {
    this.clearTimer();
    if (!this._current) {
      this._current = this.run()
        .catch(() => undefined)
        .finally(() => {
          this._current = null;
          this.schedule();
        });
    } else {
      // a run is under way: ask for one more right after it
      this._again = true;
    }
    return this._current;
  }

  dispose(): void {
    this.stop();
  }

  private schedule(): void {
    this.clearTimer();
    if (this._again) {
      this._again = false;
      void this.now();
      return;
    }
    if (this._running) {
      this._timer = window.setTimeout(() => void this.now(), this.interval());
    }
  }

  private clearTimer(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
      this._timer = null;
    }
  }

  private _running = false;
  private _again = false;
  private _timer: number | null = null;
  private _current: Promise<void> | null = null;
}

export class PoolsModel {
  constructor() {
    this._poolsPoll = new Repeater(
      () => this.fetchPools(),
      () => (this.isBusy ? FAST_POLL : SLOW_POLL)
    );
    this._resourcesPoll = new Repeater(
      () => this.fetchResources(),
      () => RESOURCES_POLL
    );
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

  /** Start (or resume) polling; fetches everything at once. */
  resume(): void {
    if (this._isDisposed) {
      return;
    }
    // each time the section shows: what a batch scheduler offers (partitions,
    // accounts) is learnt by the server in the background and may have changed
    void this.fetchBackends();
    this._poolsPoll.start();
    this._resourcesPoll.start();
  }

  /** Stop polling until `resume`. */
  pause(): void {
    this._poolsPoll.stop();
    this._resourcesPoll.stop();
  }

  /** Fetch everything now. */
  async refresh(): Promise<void> {
    await Promise.all([
      this._poolsPoll.now(),
      this._resourcesPoll.now(),
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
    void this._poolsPoll.now();
    void this._resourcesPoll.now();
    return pool;
  }

  /** Scale a part of a pool, or add one (`change.backend` another backend). */
  async scale(poolId: string, change: IScale): Promise<IPool> {
    const pool = await this.mutate(() => scalePool(poolId, change), {
      poolId,
      action: 'scaling'
    });
    this.replace(pool);
    void this._poolsPoll.now();
    void this._resourcesPoll.now();
    return pool;
  }

  async stop(poolId: string): Promise<IPool> {
    const pool = await this.mutate(() => stopPool(poolId), {
      poolId,
      action: 'stopping'
    });
    this.replace(pool);
    void this._poolsPoll.now();
    void this._resourcesPoll.now();
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

  private async fetchPools(): Promise<void> {
    if (document.hidden && this._loaded) {
      return;
    }
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
    }
    this._changed.emit();
  }

  private async fetchResources(): Promise<void> {
    if (document.hidden && this._resources) {
      return;
    }
    try {
      this._resources = await getResources();
      this._changed.emit();
    } catch {
      // the pools poll reports an unreachable server
    }
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
  private _changed = new Signal<this, void>(this);
  private readonly _poolsPoll: Repeater;
  private readonly _resourcesPoll: Repeater;
}
