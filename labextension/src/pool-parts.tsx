/**
 * A pool's parts on its card, one per backend it has engines of (burst: a
 * local pool with engines in Slurm jobs too): each with its engine counts, its
 * scale control (whole engine sets only for an MPI part) and its engine sets
 * (batch jobs with their state, SSH sets with their host).
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import type { IBackends, IEngineSet, IPool, IPoolPart } from './api';
import { useTrans } from './translation';
import { Alert } from './feedback';
import { formatPart } from './format';
import { JobList } from './jobs';
import { engineCountError, engineLimit } from './limits';
import { engineLoadWarning } from './pools/new-pool-draft';
import { PoolAction, PoolsModel } from './model';
import {
  WHOLE_SETS_NOTE,
  liveSetSizes,
  partLimit,
  partSets,
  wholeSetChoices
} from './parts';

/** Send a request for a pool card, keeping the server's message if refused. */
export type Run = (what: () => Promise<unknown>) => Promise<boolean>;

export interface IPartsProps {
  pool: IPool;
  model: PoolsModel;
  backends: IBackends | null;
  action: PoolAction | null;
  run: Run;
  fail: (message: string) => void;
}

export function PartList(props: IPartsProps): JSX.Element {
  const trans = useTrans();
  const { pool } = props;
  return (
    <ul
      className="jp-JasminParts"
      aria-label={trans.__('Parts of pool %1', pool.name)}
    >
      {pool.parts.map(part => (
        <PartItem key={part.backend} {...props} part={part} />
      ))}
    </ul>
  );
}

interface IPartProps extends IPartsProps {
  part: IPoolPart;
}

function PartItem(props: IPartProps): JSX.Element {
  const trans = useTrans();
  const { pool, part, model, action } = props;
  const sets = partSets(pool, part);
  const scalable = pool.actions.scale && action !== 'stopping';
  return (
    <li
      className="jp-JasminPart"
      aria-label={trans.__('Part %1 of pool %2', part.backend, pool.name)}
    >
      <div className="jp-JasminPart-header">
        <span
          className="jp-JasminPart-label"
          title={trans.__('Backend %1', part.backend)}
        >
          {part.label}
        </span>
        <span
          className="jp-JasminPart-count"
          title={trans.__('Running / requested engines')}
        >
          {formatPart(part)}
        </span>
      </div>
      {scalable && <PartScale {...props} />}
      <EngineSetList pool={pool} sets={sets.filter(set => !set.job)} />
      <JobList pool={pool} model={model} sets={sets} />
    </li>
  );
}

/** The names of a part's scale control: the pool's own keeps the pool's. */
function scaleNames(
  pool: IPool,
  part: IPoolPart
): { input: string; button: string } {
  return part.primary
    ? {
        input: `Engines for pool ${pool.name}`,
        button: `Scale pool ${pool.name}`
      }
    : {
        input: `Engines of ${part.backend} for pool ${pool.name}`,
        button: `Scale ${part.backend} engines of pool ${pool.name}`
      };
}

/** How many engines of this part the pool should have: PATCH with its backend. */
function PartScale(props: IPartProps): JSX.Element {
  const trans = useTrans();
  const { pool, part, model, backends, action, run, fail } = props;
  const [draft, setDraft] = useState<string | null>(null);
  const backend = backends?.backends.find(b => b.name === part.backend);
  const limit = partLimit(
    pool,
    part,
    backend?.limits.max_engines,
    engineLimit(backends, backend)
  );
  const engines = draft ?? String(part.requested);
  const names = scaleNames(pool, part);

  const onScale = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const count = Number(engines);
    // 0 stops every engine of the pool's own part, or removes another part
    const wrong = engineCountError(engines, 0, limit);
    if (wrong) {
      fail(wrong);
      return;
    }
    const change = part.primary
      ? { engines: count }
      : { engines: count, backend: part.backend };
    if (await run(() => model.scale(pool.id, change))) {
      setDraft(null);
    }
  };

  const load = engineLoadWarning(
    engines,
    backend,
    model.resources,
    part.requested
  );
  const busy = action !== null;
  const common = {
    value: engines,
    disabled: busy,
    'aria-label': names.input,
    title: `${names.input} (0-${limit})`
  };
  return (
    <form className="jp-JasminPool-scale" onSubmit={onScale} noValidate>
      {part.whole_sets ? (
        <HTMLSelect
          {...common}
          options={wholeSetChoices(liveSetSizes(pool, part), limit).map(
            choice => ({
              value: String(choice.engines),
              label: choice.label
            })
          )}
          onChange={event => setDraft(event.target.value)}
        />
      ) : (
        <input
          {...common}
          className="jp-mod-styled jp-JasminNumber"
          type="number"
          min={0}
          max={limit}
          step={1}
          onChange={event => setDraft(event.target.value)}
        />
      )}
      <Button
        type="submit"
        small
        className="jp-mod-styled jp-mod-reject"
        disabled={busy}
        aria-label={names.button}
        title={trans.__('Start or stop engines so this part has this many')}
      >
        {trans.__('Scale')}
      </Button>
      {part.whole_sets && (
        <small className="jp-JasminField-hint">{WHOLE_SETS_NOTE}</small>
      )}
      {load && <Alert kind="warning">{load}</Alert>}
    </form>
  );
}

/** A part's engine sets that are no batch job (those show as jobs): where, state, engines. */
function EngineSetList({
  pool,
  sets
}: {
  pool: IPool;
  sets: IEngineSet[];
}): JSX.Element | null {
  const trans = useTrans();
  if (!sets.length) {
    return null;
  }
  return (
    <ul
      className="jp-JasminSets"
      aria-label={trans.__('Engine sets of pool %1', pool.name)}
    >
      {sets.map(set => (
        <li
          key={set.id}
          className={`jp-JasminSet jp-JasminSet-${set.state}`}
          aria-label={trans.__('Engine set %1 of pool %2', set.id, pool.name)}
        >
          <span className="jp-JasminSet-id">{set.id}</span>
          {set.where && (
            <span className="jp-JasminSet-where">
              {trans.__('on')} {set.where}
            </span>
          )}
          <span className="jp-JasminSet-state">{set.state}</span>
          <span
            className="jp-JasminSet-count"
            title={trans.__('Running / requested engines')}
          >
            {set.running}/{set.requested}
          </span>
          {set.error && <p className="jp-JasminPool-error">{set.error}</p>}
        </li>
      ))}
    </ul>
  );
}
