/**
 * Adaptive scaling on a pool's card: the range it follows its queue within and
 * its last change in words, and a small form to set or end it (PATCH `adapt`).
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useState } from 'react';

import type { IPool } from '../api';
import { adaptRangeError, engineLimit } from '../limits';
import type { PoolAction, PoolsModel } from '../model';
import type { Run } from '../pool-parts';
import { useTrans } from '../translation';

/** "Adapts between 1 and 4 engines to its queue · last: 1 → 3 engines at …". */
export function AdaptLine({ pool }: { pool: IPool }): JSX.Element | null {
  const trans = useTrans();
  const adapt = pool.adapt;
  if (!adapt) {
    return null;
  }
  const range = trans.__(
    'Adapts between %1 and %2 engines to its queue',
    adapt.minimum,
    adapt.maximum
  );
  return (
    <p
      className="jp-JasminPool-adapt"
      aria-label={trans.__('Adaptive scaling')}
    >
      {adapt.last ? `${range} · ${trans.__('last: %1', adapt.last)}` : range}
    </p>
  );
}

interface IAdaptProps {
  pool: IPool;
  model: PoolsModel;
  action: PoolAction | null;
  run: Run;
  fail: (message: string) => void;
}

/** Whether the pool's own engines can adapt (not whole MPI engine sets). */
export function canAdapt(pool: IPool): boolean {
  const own = pool.parts.find(part => part.primary);
  return pool.actions.scale && own !== undefined && !own.whole_sets;
}

/** Set the range (Adapt), or end adapting and keep the engines (Fixed). */
export function AdaptForm(props: IAdaptProps): JSX.Element {
  const trans = useTrans();
  const { pool, model, action, run, fail } = props;
  const adapt = pool.adapt;
  const limit = engineLimit(model.backends);
  const [minimum, setMinimum] = useState<string | null>(null);
  const [maximum, setMaximum] = useState<string | null>(null);
  const low = minimum ?? String(adapt?.minimum ?? Math.min(1, limit));
  const high = maximum ?? String(adapt?.maximum ?? limit);
  const busy = action !== null;
  const onAdapt = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const wrong = adaptRangeError(low, high, limit);
    if (wrong) {
      fail(wrong);
      return;
    }
    const range = { minimum: Number(low), maximum: Number(high) };
    if (await run(() => model.scale(pool.id, { adapt: range }))) {
      setMinimum(null);
      setMaximum(null);
    }
  };
  const field = (
    label: string,
    value: string,
    set: (value: string) => void,
    least: number
  ): JSX.Element => (
    <input
      className="jp-mod-styled jp-JasminNumber"
      type="number"
      min={least}
      max={limit}
      step={1}
      value={value}
      disabled={busy}
      aria-label={trans.__('%1 of pool %2', label, pool.name)}
      title={trans.__('%1 (%2-%3)', label, least, limit)}
      onChange={event => set(event.target.value)}
    />
  );
  return (
    <form className="jp-JasminPool-adaptForm" onSubmit={onAdapt} noValidate>
      {field(trans.__('Minimum engines'), low, setMinimum, 0)}
      <span aria-hidden="true">–</span>
      {field(trans.__('Maximum engines'), high, setMaximum, 1)}
      <Button
        type="submit"
        small
        className="jp-mod-styled jp-mod-reject"
        disabled={busy}
        aria-label={trans.__('Adapt pool %1', pool.name)}
        title={trans.__(
          'Add engines while tasks wait, stop spare ones after 30 s without work for them'
        )}
      >
        {adapt ? trans.__('Change range') : trans.__('Adapt')}
      </Button>
      {adapt && (
        <Button
          small
          minimal
          disabled={busy}
          aria-label={trans.__('Stop adapting pool %1', pool.name)}
          title={trans.__('Keep the engines the pool has now')}
          onClick={() => void run(() => model.scale(pool.id, { adapt: null }))}
        >
          {trans.__('Fixed')}
        </Button>
      )}
    </form>
  );
}
