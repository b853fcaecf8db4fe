/**
 * Idle culling in the panel: the New pool form's "Stop when idle for" field
 * with the backend's default and maximum, and a pool's countdown ("stops in
 * 12 min if idle"), ticking between polls from when the pool was read.
 */
import React, { useEffect, useState } from 'react';

import { useTrans } from './translation';
import type { IIdleLimits, IPool } from './api';
import { formatIdle } from './format';
import { idleHint } from './limits';

interface IIdleFieldProps {
  field: (suffix: string) => string;
  limits: IIdleLimits;
  value: string;
  onChange: (value: string) => void;
  /** Whether the form or the server refused this value. */
  invalid?: boolean;
}

export function IdleField(props: IIdleFieldProps): JSX.Element {
  const trans = useTrans();
  const { field, limits, value, onChange, invalid = false } = props;
  const id = field('idle-minutes');
  return (
    <div className="jp-JasminField">
      <label htmlFor={id}>{trans.__('Stop when idle for (minutes)')}</label>
      <input
        id={id}
        className="jp-mod-styled jp-JasminNumber"
        type="number"
        min={limits.maximum === null ? 0 : 1}
        max={limits.maximum ?? undefined}
        step={1}
        value={value}
        placeholder={
          limits.default === null ? trans.__('never') : String(limits.default)
        }
        aria-describedby={`${id}-hint`}
        aria-invalid={invalid || undefined}
        title={trans.__('Stop the pool when it has had no work for this long')}
        onChange={event => onChange(event.target.value)}
      />
      <small id={`${id}-hint`} className="jp-JasminField-hint">
        {idleHint(limits)}
      </small>
    </div>
  );
}

/** Seconds since `since` (ms since the epoch), updated every second while shown. */
function useSecondsSince(since: number, ticking: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (!ticking) {
      return;
    }
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [since, ticking]);
  return Math.max(0, (now - since) / 1000);
}

/** "stops in 12 min if idle", "busy", or nothing when the pool is never culled. */
export function IdleLine({
  pool,
  readAt
}: {
  pool: IPool;
  readAt: number;
}): JSX.Element | null {
  const trans = useTrans();
  const counting = pool.idle.culls_in_seconds !== null;
  const elapsed = useSecondsSince(readAt, counting);
  const words = formatIdle(pool, elapsed);
  if (words === null) {
    return null;
  }
  return (
    <span
      className="jp-JasminPool-idle jp-JasminMuted"
      aria-label={trans.__('Idle culling of pool %1', pool.name)}
      title={trans.__('Stopped after %1 min without work', pool.idle.minutes)}
    >
      {words}
    </span>
  );
}
