/** The New pool form's draft: its fields, their warnings, and the request it makes. */
import React, { useEffect, useId, useState } from 'react';
import {
  type IBackend,
  type IBackends,
  type INewPool,
  type IResources,
  type OptionValue
} from '../api';
import {
  engineCountError,
  idleLimits,
  oversubscription,
  parseIdleMinutes
} from '../limits';
import { IFieldError, optionDefaults, parseOptions } from '../option-field';

/** The class of the form's first field, which the "New engine pool" command focuses. */
export const NAME_FIELD_CLASS = 'jp-JasminNewPool-name';

export interface IDraft {
  name: string;
  engines: string;
  options: Record<string, OptionValue>;
  /** "Stop when idle for (minutes)": empty for the backend's default. */
  idleMinutes: string;
}

/**
 * The warning beside an Engines field when the pool would give its engines less
 * than a core each on this VM (not a refusal: the admin's limit allows it).
 * `already`: engines the field's part has now (a scale warns only when it adds
 * engines, and its own engines are not counted twice among those in use).
 */
export function engineLoadWarning(
  engines: string,
  backend: IBackend | undefined,
  resources: IResources | null,
  already = 0
): string | null {
  const count = Number(engines);
  if (
    !backend?.on_this_vm ||
    !resources ||
    !Number.isInteger(count) ||
    count <= already ||
    count < 1
  ) {
    return null;
  }
  return oversubscription(
    count,
    Math.max(0, resources.cores.in_use - already),
    resources.cores.usable
  );
}

/** The request a draft makes of the server, or why it cannot be sent. */
export function poolRequest(
  draft: IDraft,
  backend: IBackend | undefined,
  limit: number
): INewPool | IFieldError {
  const countError = engineCountError(draft.engines, 1, limit);
  if (countError) {
    return { error: countError, field: 'engines' };
  }
  const count = Number(draft.engines);
  const options = parseOptions(backend, draft.options);
  if ('error' in options) {
    return options as IFieldError;
  }
  const idle = parseIdleMinutes(draft.idleMinutes, idleLimits(backend));
  if (typeof idle === 'object' && idle !== null) {
    return { ...idle, field: 'idle_minutes' };
  }
  const name = draft.name.trim();
  return {
    ...(name ? { name } : {}),
    ...(backend ? { backend: backend.name } : {}),
    engines: count,
    ...(backend?.options.length ? { options } : {}),
    ...(idle !== null ? { idle_minutes: idle } : {})
  };
}

/** Ids of the form's fields, unique in the page. */
export function useFieldIds(): (suffix: string) => string {
  const id = useId();
  return suffix => `${id}-${suffix}`;
}

/** The form's values, filled with the server's defaults once the backends arrive. */
export function useDraft(
  backends: IBackends | null,
  backend: IBackend | undefined,
  limit: number
): [IDraft, React.Dispatch<React.SetStateAction<IDraft>>] {
  const [draft, setDraft] = useState<IDraft>({
    name: '',
    engines: '',
    options: {},
    idleMinutes: ''
  });
  const ready = backends !== null;
  useEffect(() => {
    if (backends && draft.engines === '') {
      const engines = String(Math.min(backends.suggested_engines, limit));
      setDraft(current => ({ ...current, engines }));
    }
  }, [ready]);
  // a backend's options are filled with their defaults when it is chosen, and
  // again if what it offers changes (Slurm's partitions learnt after the first look)
  const schema = JSON.stringify(backend?.options ?? []);
  useEffect(() => {
    setDraft(current => ({ ...current, options: optionDefaults(backend) }));
  }, [backend?.name, schema]);
  // the idle time starts at the backend's default when it is chosen
  const idleDefault = idleLimits(backend).default;
  useEffect(() => {
    setDraft(current => ({
      ...current,
      idleMinutes: idleDefault === null ? '' : String(idleDefault)
    }));
  }, [backend?.name, idleDefault]);
  return [draft, setDraft];
}
