/** Values as a person reads them in a narrow sidebar. */
import type {
  IDatasetVersion,
  IEngine,
  IEstimate,
  IJob,
  IPool,
  IPoolPart,
  IPreview,
  PoolState
} from './api';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 25276502016 → "23.5 GiB" (or "24 GiB" with no decimals). */
export function formatBytes(
  bytes: number | null | undefined,
  decimals = 1
): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return '–';
  }
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : decimals;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** 12.345 → "12%", null → "–". */
export function formatPercent(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) {
    return '–';
  }
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)}%`;
}

/** [0.08, 0.2, 0.17] → "0.08 0.20 0.17". */
export function formatLoad(load: readonly number[]): string {
  return load.length ? load.map(value => value.toFixed(2)).join(' ') : '–';
}

/** (1, 'dataset') → "1 dataset", (42, 'dataset') → "42 datasets". */
export function plural(
  count: number,
  singular: string,
  several?: string
): string {
  return `${count.toLocaleString()} ${count === 1 ? singular : (several ?? `${singular}s`)}`;
}

/** ("1950-01", "2014-12") → "1950-01 – 2014-12"; nothing known → "–". */
export function formatTimeRange(
  start: string | null | undefined,
  end: string | null | undefined
): string {
  if (!start && !end) {
    return '–';
  }
  if (start === end) {
    return String(start);
  }
  return `${start ?? '?'} – ${end ?? '?'}`;
}

/** "2026-11-25T08:25:13Z" → "25 Nov 2026, 08:25" in the browser's time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) {
    return '–';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short'
  });
}

/** A coordinate bound or attribute number, short: 92500 → "92500", 87.538705 → "87.5387". */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    return Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3
      ? value.toExponential(4)
      : String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** A netCDF attribute in a table cell: empty when the file has none. */
export function formatCell(value: unknown): string {
  return value === null || value === undefined ? '' : formatValue(value);
}

/** Where an engine runs, "host:pid"; "locating…" until a registered engine has said. */
export function formatEngineProcess({
  host,
  pid,
  state
}: Pick<IEngine, 'host' | 'pid' | 'state'>): string {
  if (host === null && pid === null) {
    return state === 'running' ? 'locating…' : '–';
  }
  return `${host ?? '–'}:${pid ?? '–'}`;
}

/** A dataset's version, or what it is when its holding's DRS has no version level. */
export function formatVersion(version: IDatasetVersion['version']): string {
  return version ?? 'unversioned';
}

/** 45 → "45 s", 720 → "12 min", 3900 → "1 h 5 min", 86400 → "24 h". */
export function formatDuration(seconds: number): string {
  if (seconds < 60) {
    return `${Math.max(0, Math.floor(seconds))} s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest ? `${hours} h ${rest} min` : `${hours} h`;
}

/** A batch job's walltime left: 725 → "12 min left"; unknown → null. */
export function formatTimeLeft(seconds: number | null): string | null {
  return seconds === null ? null : `${formatDuration(seconds)} left`;
}

/**
 * When a job should start, in the browser's time zone, with how long that is
 * from `now`: "estimated start 14:05 (in 25 min)", another day's date added
 * ("estimated start 26 Nov, 09:30 (in 18 h 25 min)"), "(now)" within a minute.
 */
export function formatEstimatedStart(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return `estimated start ${iso}`;
  }
  const clock = date.toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23'
  });
  const day =
    date.toDateString() === now.toDateString()
      ? ''
      : `${date.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, `;
  const wait = (date.getTime() - now.getTime()) / 1000;
  const relative = wait <= 60 ? 'now' : `in ${formatDuration(wait)}`;
  return `estimated start ${day}${clock} (${relative})`;
}

/** A Slurm node list as words: "vm" → "node vm", "n[1-3]" → "nodes n[1-3]". */
export function formatNodes(nodes: string): string {
  return /[,[]/.test(nodes) ? `nodes ${nodes}` : `node ${nodes}`;
}

/**
 * One line saying where a batch job is, in the scheduler's words: "waiting in
 * the queue: waiting for free nodes", "held", "running on node vm, 12 min left",
 * "ended at its walltime".
 */
export function formatJobState(
  job: Pick<
    IJob,
    | 'state'
    | 'state_in_words'
    | 'reason_in_words'
    | 'nodes'
    | 'time_left_seconds'
  >
): string {
  const { state, state_in_words: words, reason_in_words: reason } = job;
  if (state === 'PENDING') {
    // a held job waits for its owner or an admin, not for the queue
    if (reason.startsWith('held')) {
      return reason;
    }
    return reason ? `${words}: ${reason}` : words;
  }
  if (state === 'RUNNING') {
    const where = job.nodes ? ` on ${formatNodes(job.nodes)}` : '';
    const left = formatTimeLeft(job.time_left_seconds);
    return `${words}${where}${left ? `, ${left}` : ''}`;
  }
  return reason ? `${words} (${reason})` : words;
}

/** The answer to "Estimated start" for a pending job. */
export function formatEstimate(
  estimate: Pick<IEstimate, 'estimated_start' | 'nodes'>,
  now = new Date()
): string {
  if (!estimate.estimated_start) {
    return 'the scheduler has no estimate yet; ask again in a moment';
  }
  const where = estimate.nodes ? ` on ${formatNodes(estimate.nodes)}` : '';
  return `${formatEstimatedStart(estimate.estimated_start, now)}${where}`;
}

/**
 * What a preview says of the start: its estimate, or why there is none (null
 * when the backend submits no batch job, so nothing waits in a queue).
 */
export function formatPreviewStart(
  preview: Pick<
    IPreview,
    | 'script'
    | 'checks'
    | 'estimated_start'
    | 'estimated_nodes'
    | 'scheduler_said'
  >,
  now = new Date()
): string | null {
  if (preview.estimated_start) {
    return formatEstimate(
      {
        estimated_start: preview.estimated_start,
        nodes: preview.estimated_nodes
      },
      now
    );
  }
  if (preview.checks.some(check => !check.ok)) {
    return 'no estimated start: the request fails a check';
  }
  if (preview.scheduler_said) {
    return `no estimated start: the scheduler said "${preview.scheduler_said}"`;
  }
  return preview.script === null
    ? null
    : 'no estimated start: the scheduler gave none';
}

/** A preview's engine sets: [1] → "1 job of 1 engine", [2, 1] → "2 jobs: 2 + 1 engines". */
export function formatEngineSets(
  sizes: readonly number[],
  batch: boolean
): string {
  const sets = plural(sizes.length, batch ? 'job' : 'engine set');
  if (sizes.every(size => size === sizes[0])) {
    return `${sets} of ${plural(sizes[0] ?? 0, 'engine')}`;
  }
  return `${sets}: ${sizes.join(' + ')} engines`;
}

/**
 * Time left as a countdown reads it, rounding up so it reaches "1 min" only in
 * the last minute: 3287.5 → "55 min", 45 → "45 s", 3600 → "1 h".
 */
export function formatCountdown(seconds: number): string {
  const left = Math.max(0, seconds);
  return left < 60
    ? `${Math.ceil(left)} s`
    : formatDuration(Math.ceil(left / 60) * 60);
}

/**
 * What a pool's idle clock says, `elapsed` seconds after the pool was read:
 * "stops in 12 min if idle", "busy" while a running pool has work (its idle
 * time is null), null when culling is off or the pool is not running.
 */
export function formatIdle(
  pool: Pick<IPool, 'state' | 'idle'>,
  elapsed = 0
): string | null {
  const { minutes, idle_seconds: idle, culls_in_seconds: left } = pool.idle;
  if (
    minutes === null ||
    (pool.state !== 'running' && pool.state !== 'degraded')
  ) {
    return null;
  }
  if (idle === null || left === null) {
    return 'busy';
  }
  const remaining = left - elapsed;
  return remaining > 0
    ? `stops in ${formatCountdown(remaining)} if idle`
    : 'stopping: idle too long';
}

/**
 * One part of a pool in a line: "2/2 engines", "1/3 engines, 2 starting, 1 lost".
 */
export function formatPart(
  part: Pick<IPoolPart, 'requested' | 'running' | 'starting' | 'lost'>
): string {
  const extra = [
    part.starting ? `${part.starting} starting` : '',
    part.lost ? `${part.lost} lost` : ''
  ].filter(Boolean);
  const counts = `${part.running}/${part.requested} engines`;
  return extra.length ? `${counts}, ${extra.join(', ')}` : counts;
}

/** A pool state as the badge shows it: a running pool of no engines is empty. */
export type ShownPoolState = PoolState | 'empty';

/**
 * What the pool's badge says: `empty` for a running pool scaled to no engines
 * (nothing can run on it), otherwise its state.
 */
export function shownPoolState(
  state: PoolState,
  requested: number
): ShownPoolState {
  return requested === 0 && (state === 'running' || state === 'degraded')
    ? 'empty'
    : state;
}

/** What a pool of no engines tells its user. */
export const EMPTY_POOL_NOTE = 'no engines: scale up to run work';
