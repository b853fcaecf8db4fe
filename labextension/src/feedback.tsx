/** The panel's one way to say something went wrong, to warn, and that it is waiting. */
import React from 'react';

/** A message the user must see (a refused request, an unreachable server). */
export function Alert({
  children
}: {
  children: React.ReactNode;
}): JSX.Element {
  return (
    <p className="jp-JasminAlert" role="alert">
      {children}
    </p>
  );
}

/**
 * Something the user may want to reconsider, though nothing is refused (a pool
 * that would oversubscribe the VM). Read out politely, but not a status
 * region: a pool item's one status is its state.
 */
export function Warning({
  id,
  children
}: {
  id?: string;
  children: React.ReactNode;
}): JSX.Element {
  return (
    <small id={id} className="jp-JasminWarning" aria-live="polite">
      {children}
    </small>
  );
}

/**
 * A spinner with what is awaited. `announce` makes it a live status for
 * screen readers; leave it off where a region already has a status.
 */
export function Busy({
  text,
  announce = false
}: {
  text: string;
  announce?: boolean;
}): JSX.Element {
  return (
    <p
      className="jp-JasminBusy jp-JasminMuted"
      role={announce ? 'status' : undefined}
    >
      <span className="jp-JasminSpinner" aria-hidden="true" />
      {text}
    </p>
  );
}
