/**
 * The admin's and the scheduler's limits beside the New pool form's fields.
 *
 * The document types a backend's `limits` only as `{max_engines, ...}`: what
 * a batch backend adds (its partitions, each with its walltime, cores and
 * memory per node) is read here defensively, so a server sending less, or a
 * backend with other limits, leaves the hints out rather than breaking the form.
 */
import type {
  IBackend,
  IBackendOption,
  IBackends,
  IIdleLimits,
  OptionValue
} from './api';
import { formatDuration } from './format';

/** One partition (queue) of a batch backend, as `limits.partitions` lists it. */
export interface IPartitionLimits {
  name: string;
  maxWalltimeMinutes: number | null;
  coresPerNode: number | null;
  memoryPerNodeGb: number | null;
  nodes: number | null;
}

/** Most engines a pool of this backend may have: the server's and the backend's limit. */
export function engineLimit(
  backends: IBackends | null,
  backend?: IBackend
): number {
  const limits = [
    backends?.limits.max_engines_per_pool,
    backend?.limits.max_engines
  ].filter((n): n is number => typeof n === 'number');
  return limits.length ? Math.min(...limits) : 1;
}

/** The option whose value names the partition. */
export const PARTITION_OPTION = 'partition';

const numberOrNull = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** The partitions a backend's limits describe (none when it describes none). */
export function partitionLimits(
  limits: IBackend['limits']
): IPartitionLimits[] {
  const listed: unknown = limits['partitions'];
  if (!Array.isArray(listed)) {
    return [];
  }
  return listed.flatMap((entry: unknown) => {
    if (!entry || typeof entry !== 'object') {
      return [];
    }
    const found = entry as Record<string, unknown>;
    if (typeof found.name !== 'string') {
      return [];
    }
    return [
      {
        name: found.name,
        maxWalltimeMinutes: numberOrNull(found.max_walltime_minutes),
        coresPerNode: numberOrNull(found.cores_per_node),
        memoryPerNodeGb: numberOrNull(found.memory_per_node_gb),
        nodes: numberOrNull(found.nodes)
      }
    ];
  });
}

/** The partition chosen in the form, if the backend describes it. */
export function chosenPartition(
  backend: IBackend | undefined,
  values: Record<string, OptionValue>
): IPartitionLimits | undefined {
  const chosen = values[PARTITION_OPTION];
  return backend
    ? partitionLimits(backend.limits).find(p => p.name === chosen)
    : undefined;
}

/** "1 node, 2 cores and 23.5 GB per node, at most 30 min". */
export function formatPartition(partition: IPartitionLimits): string {
  const parts: string[] = [];
  if (partition.nodes !== null) {
    parts.push(`${partition.nodes} node${partition.nodes === 1 ? '' : 's'}`);
  }
  const perNode = [
    partition.coresPerNode === null ? null : `${partition.coresPerNode} cores`,
    partition.memoryPerNodeGb === null
      ? null
      : `${partition.memoryPerNodeGb} GB`
  ].filter(Boolean);
  if (perNode.length) {
    parts.push(`${perNode.join(' and ')} per node`);
  }
  parts.push(
    partition.maxWalltimeMinutes === null
      ? 'no time limit'
      : `at most ${formatDuration(partition.maxWalltimeMinutes * 60)}`
  );
  return parts.join(', ');
}

/** What the chosen partition allows for an option of the Slurm form, if anything. */
function partitionHint(
  option: IBackendOption,
  partition: IPartitionLimits
): string | null {
  const where = `partition ${partition.name}`;
  switch (option.name) {
    case PARTITION_OPTION:
      return formatPartition(partition);
    case 'walltime':
      return partition.maxWalltimeMinutes === null
        ? `${where}: no time limit`
        : `${where}: at most ${partition.maxWalltimeMinutes}`;
    case 'cores_per_engine':
      return partition.coresPerNode === null
        ? null
        : `${where}: ${partition.coresPerNode} per node`;
    case 'memory_per_engine':
      return partition.memoryPerNodeGb === null
        ? null
        : `${where}: ${partition.memoryPerNodeGb} per node`;
    default:
      return null;
  }
}

/**
 * The limits shown under an option's field: its own range, and what the chosen
 * partition allows ("1–1440 · partition main: at most 30").
 */
export function optionHint(
  option: IBackendOption,
  partition: IPartitionLimits | undefined
): string | null {
  const { minimum, maximum } = option;
  const range =
    minimum !== undefined && maximum !== undefined
      ? `${minimum}–${maximum}`
      : maximum !== undefined
        ? `at most ${maximum}`
        : minimum !== undefined
          ? `at least ${minimum}`
          : null;
  const fromPartition = partition ? partitionHint(option, partition) : null;
  const hint = [range, fromPartition].filter(Boolean).join(' · ');
  return hint || null;
}

/** Before the backends are read: never culled, no maximum. */
const NO_IDLE_LIMITS: IIdleLimits = { default: null, maximum: null };

/** A backend's idle culling default and maximum (minutes), as GET backends gives them. */
export function idleLimits(backend: IBackend | undefined): IIdleLimits {
  return backend?.idle_minutes ?? NO_IDLE_LIMITS;
}

/**
 * The idle time a form asks for: null for the backend's default (an empty
 * field), minutes up to the backend's maximum, 0 for never where the backend
 * has no maximum; or why not.
 */
export function parseIdleMinutes(
  text: string,
  limits: IIdleLimits
): number | null | { error: string } {
  if (!text.trim()) {
    return null;
  }
  const minutes = Number(text);
  const most = limits.maximum;
  const allowed =
    Number.isFinite(minutes) &&
    minutes >= 0 &&
    (most === null || (minutes > 0 && minutes <= most));
  if (!allowed) {
    return {
      error:
        most === null
          ? 'Stop when idle for: a number of minutes, 0 for never'
          : `Stop when idle for: a number of minutes, more than 0 and at most ${most}`
    };
  }
  return minutes;
}

/**
 * What the idle field's hint says: what an empty field means, and the maximum
 * or how to turn culling off ("empty: 1 h · at most 4 h", "empty or 0: never").
 */
export function idleHint(limits: IIdleLimits): string {
  if (limits.maximum !== null) {
    const empty =
      limits.default === null
        ? ''
        : `empty: ${formatDuration(limits.default * 60)} · `;
    return `${empty}at most ${formatDuration(limits.maximum * 60)}`;
  }
  return limits.default === null
    ? 'empty or 0: never'
    : `empty: ${formatDuration(limits.default * 60)} · 0: never`;
}

/**
 * Why an engine count typed in a field cannot be sent, in the words the server
 * uses ("Engines must be at most 2 on this server (999 asked)"), or null.
 */
export function engineCountError(
  text: string,
  minimum: number,
  limit: number,
  label = 'Engines'
): string | null {
  const count = Number(text);
  if (!text.trim() || !Number.isInteger(count)) {
    return `${label} must be a whole number (${text.trim() ? `'${text.trim()}'` : 'nothing'} asked)`;
  }
  if (count < minimum) {
    return `${label} must be at least ${minimum} (${count} asked)`;
  }
  if (count > limit) {
    return `${label} must be at most ${limit} on this server (${count} asked)`;
  }
  return null;
}

/** "half a core", "a third of a core", "0.4 of a core". */
function shareOfCore(share: number): string {
  const named: Record<number, string> = {
    2: 'half a core',
    3: 'a third of a core',
    4: 'a quarter of a core'
  };
  const whole = Math.round(1 / share);
  if (Math.abs(1 / share - whole) < 1e-9 && named[whole]) {
    return named[whole];
  }
  return `${share.toFixed(2).replace(/0+$/, '')} of a core`;
}

/**
 * A warning when `engines` more engines on this VM (beside the `inUse` its
 * pools already have) would be more than its `cores`: "4 engines on 2 cores:
 * each engine gets half a core". Null when they fit.
 */
export function oversubscription(
  engines: number,
  inUse: number,
  cores: number
): string | null {
  const total = engines + inUse;
  if (!Number.isFinite(total) || cores < 1 || total <= cores) {
    return null;
  }
  const others = inUse ? ` (${inUse} already in your pools)` : '';
  return (
    `${total} engines on ${cores} core${cores === 1 ? '' : 's'}${others}: ` +
    `each engine gets ${shareOfCore(cores / total)}`
  );
}

/** "2 of 2 cores in use by your pools" (the Cores line of the resources). */
export function coresInUse(inUse: number, usable: number): string {
  return `${inUse} of ${usable} core${usable === 1 ? '' : 's'} in use by your pools`;
}

/**
 * Why an adaptive range typed in the Adapt form cannot be sent, in the
 * server's words ("Minimum engines must be at most the maximum (3 > 2)"), or
 * null. The maximum is at least 1, the minimum may be 0.
 */
export function adaptRangeError(
  minimum: string,
  maximum: string,
  limit: number
): string | null {
  const wrong =
    engineCountError(minimum, 0, limit, 'Minimum engines') ??
    engineCountError(maximum, 1, limit, 'Maximum engines');
  if (wrong) {
    return wrong;
  }
  if (Number(minimum) > Number(maximum)) {
    return `Minimum engines must be at most the maximum (${Number(minimum)} > ${Number(maximum)})`;
  }
  return null;
}
