/**
 * A pool's parts (one per backend it has engines of) as the panel groups and
 * scales them: which engine sets belong to a part, how many
 * engines a part may have, and for a `whole_sets` part (MPI) the engine counts
 * it can be scaled to without splitting an engine set.
 */
import type { IBackends, IEngineSet, IPool, IPoolPart } from './api';
import { plural } from './format';

/** What the scale control of a whole-sets part says. */
export const WHOLE_SETS_NOTE = 'MPI pools grow and shrink by whole engine sets';

/** Engine sets that still hold or will hold engines. */
const LIVE_SETS = new Set(['starting', 'running']);

/** The engine sets of a part, in the pool's order. */
export function partSets(
  pool: Pick<IPool, 'engine_sets'>,
  part: Pick<IPoolPart, 'backend'>
): IEngineSet[] {
  return pool.engine_sets.filter(set => set.backend === part.backend);
}

/**
 * Most engines a part may have: its backend's limit, and what the server's
 * per-pool limit leaves beside the other parts.
 */
export function partLimit(
  pool: Pick<IPool, 'engines'>,
  part: Pick<IPoolPart, 'requested'>,
  backendMax: number | undefined,
  poolMax: number
): number {
  const others = pool.engines.requested - part.requested;
  return Math.max(0, Math.min(backendMax ?? poolMax, poolMax - others));
}

/** A whole-sets part's possible engine count, and what reaching it does. */
export interface IWholeSetChoice {
  engines: number;
  label: string;
}

/**
 * The engine counts a whole-sets part can be scaled to: fewer only by stopping
 * whole engine sets (every sum of set sizes that can be taken away), more by
 * starting one set of the difference, up to `limit`. Sizes [2, 2] of a part of
 * 4, limit 6: 0 (stop 2 sets of 2), 2 (stop a set of 2), 4 (now), 5 (start a
 * set of 1), 6 (start a set of 2).
 */
export function wholeSetChoices(
  sizes: readonly number[],
  limit: number
): IWholeSetChoice[] {
  const total = sizes.reduce((sum, size) => sum + size, 0);
  // the fewest sets that remove each number of engines, and their sizes
  const removals = new Map<number, number[]>([[0, []]]);
  for (const size of sizes) {
    for (const [removed, sets] of [...removals.entries()]) {
      const known = removals.get(removed + size);
      if (!known || known.length > sets.length + 1) {
        removals.set(removed + size, [...sets, size]);
      }
    }
  }
  const choices: IWholeSetChoice[] = [...removals.entries()]
    .filter(([removed]) => removed > 0)
    .map(([removed, sets]) => ({
      engines: total - removed,
      label: `${total - removed} (stop ${describeSets(sets)})`
    }));
  choices.push({ engines: total, label: `${total} (now)` });
  for (let engines = total + 1; engines <= limit; engines++) {
    choices.push({
      engines,
      label: `${engines} (start a set of ${engines - total})`
    });
  }
  return choices.sort((a, b) => a.engines - b.engines);
}

/** [2] → "a set of 2", [2, 2] → "2 sets of 2", [2, 1] → "sets of 2 + 1". */
function describeSets(sizes: readonly number[]): string {
  if (sizes.length === 1) {
    return `a set of ${sizes[0]}`;
  }
  return sizes.every(size => size === sizes[0])
    ? `${plural(sizes.length, 'set')} of ${sizes[0]}`
    : `sets of ${sizes.join(' + ')}`;
}

/** The sizes of a part's engine sets that hold or will hold engines. */
export function liveSetSizes(
  pool: Pick<IPool, 'engine_sets'>,
  part: Pick<IPoolPart, 'backend'>
): number[] {
  return partSets(pool, part)
    .filter(set => LIVE_SETS.has(set.state))
    .map(set => set.requested);
}

/** The enabled backends a running pool could add engines from (those it has no part of). */
export function burstBackends(
  pool: Pick<IPool, 'parts'>,
  backends: IBackends | null
): IBackends['backends'] {
  const used = new Set(pool.parts.map(part => part.backend));
  return (backends?.backends ?? []).filter(backend => !used.has(backend.name));
}
