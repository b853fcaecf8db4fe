/** The panel's one way to say something went wrong, to warn or inform, and that it is waiting. */
import React from 'react';

/**
 * How much a message matters: an `error` the user must see (a refused request,
 * an unreachable server; an alert); a `warning` the user may want to reconsider
 * though nothing is refused (a pool that would oversubscribe the VM; read out
 * politely, but not a status region: a pool item's one status is its state);
 * `info` on what is shown (a status).
 */
export type AlertKind = 'error' | 'warning' | 'info';

export interface IAlertProps {
  kind?: AlertKind;
  id?: string;
  /** A class of its own beside the kind's (for its place on the page). */
  className?: string;
  children: React.ReactNode;
}

export function Alert({
  kind = 'error',
  id,
  className,
  children
}: IAlertProps): JSX.Element {
  const classes = (base: string): string =>
    className ? `${base} ${className}` : base;
  switch (kind) {
    case 'warning':
      return (
        <small
          id={id}
          className={classes('jp-JasminWarning')}
          aria-live="polite"
        >
          {children}
        </small>
      );
    case 'info':
      return (
        <p id={id} className={classes('jp-JasminInfo')} role="status">
          {children}
        </p>
      );
    default:
      return (
        <p id={id} className={classes('jp-JasminAlert')} role="alert">
          {children}
        </p>
      );
  }
}

/**
 * A spinner with what is awaited. `announce` makes it a live status for
 * screen readers; leave it off where a region already has a status. Without
 * `text`, the spinner alone, named by `label` (beside a status that says it).
 */
export function Busy({
  text,
  label,
  announce = false
}: {
  text?: string;
  label?: string;
  announce?: boolean;
}): JSX.Element {
  if (text === undefined) {
    return <span className="jp-JasminSpinner" role="img" aria-label={label} />;
  }
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
