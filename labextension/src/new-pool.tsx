/**
 * The New pool form: name, backend (when the server offers more than one),
 * engines, and the chosen backend's options with their limits; *Preview* shows
 * what starting the pool would do, *Start pool* starts it. A request the server
 * refuses (a broken limit, a bad name) is shown in the form with its message.
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useId, useRef, useState } from 'react';

import {
  JasminApiError,
  type IBackend,
  type IBackends,
  type INewPool,
  type IPreview,
  type IResources,
  type OptionValue
} from './api';
import { Alert } from './feedback';
import { IdleField } from './idle';
import {
  engineCountError,
  engineLimit,
  idleLimits,
  oversubscription,
  parseIdleMinutes
} from './limits';
import { PoolsModel } from './model';
import {
  BackendOptionFields,
  IFieldError,
  optionDefaults,
  parseOptions
} from './option-field';
import { PreviewView } from './preview';

/** The class of the form's first field, which the "New engine pool" command focuses. */
export const NAME_FIELD_CLASS = 'jp-JasminNewPool-name';

interface IDraft {
  name: string;
  engines: string;
  options: Record<string, OptionValue>;
  /** "Stop when idle for (minutes)": empty for the backend's default. */
  idleMinutes: string;
}

/**
 * The warning beside the Engines field when the pool would give its engines less
 * than a core each on this VM (not a refusal: the admin's limit allows it).
 */
export function engineLoadWarning(
  engines: string,
  backend: IBackend | undefined,
  resources: IResources | null
): string | null {
  const count = Number(engines);
  if (
    !backend?.on_this_vm ||
    !resources ||
    !Number.isInteger(count) ||
    count < 1
  ) {
    return null;
  }
  return oversubscription(
    count,
    resources.cores.in_use,
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

interface IFormProps {
  model: PoolsModel;
  backends: IBackends | null;
}

export function NewPoolForm({ model, backends }: IFormProps): JSX.Element {
  const field = useFieldIds();
  const [backendName, setBackendName] = useState<string | null>(null);
  const chooseBackend = (name: string): void => {
    setBackendName(name);
    void model.refreshBackends();
  };
  const backend =
    backends?.backends.find(b => b.name === backendName) ??
    backends?.backends[0];
  const limit = engineLimit(backends, backend);
  const [draft, setDraft] = useDraft(backends, backend, limit);
  const [error, setErrorAndField] = useState<IFieldError | null>(null);
  const setError = (message: string | null, field?: string | null): void =>
    setErrorAndField(
      message === null ? null : { error: message, field: field ?? undefined }
    );
  const [busy, setBusy] = useState<'previewing' | 'starting' | null>(null);
  const [preview, setPreview] = useState<IPreview | null>(null);
  // a preview describes the form as it was: any change drops it, and an answer
  // to an older form is dropped on arrival
  const edits = useRef(0);
  useEffect(() => {
    edits.current++;
    setPreview(null);
  }, [draft, backend?.name]);

  const send = async (what: 'previewing' | 'starting'): Promise<void> => {
    setError(null);
    const request = poolRequest(draft, backend, limit);
    if ('error' in request) {
      setError(request.error, request.field);
      return;
    }
    const asked = edits.current;
    setBusy(what);
    try {
      if (what === 'previewing') {
        const answer = await model.preview(request);
        if (asked === edits.current) {
          setPreview(answer);
        }
      } else {
        await model.create(request);
        setDraft(current => ({ ...current, name: '' }));
      }
    } catch (reason) {
      const field = reason instanceof JasminApiError ? reason.field : null;
      setError((reason as Error).message, field);
    } finally {
      setBusy(null);
    }
  };

  return (
    <form
      className="jp-JasminNewPool"
      aria-labelledby={field('title')}
      onSubmit={event => {
        event.preventDefault();
        void send('starting');
      }}
      noValidate
    >
      <h3 className="jp-JasminNewPool-title" id={field('title')}>
        New pool
      </h3>
      <PoolFields
        field={field}
        draft={draft}
        setDraft={setDraft}
        limit={limit}
        backends={backends}
        backend={backend}
        onBackend={chooseBackend}
        invalid={error?.field ?? null}
        warning={engineLoadWarning(draft.engines, backend, model.resources)}
      />
      <BackendOptionFields
        field={field}
        backend={backend}
        values={draft.options}
        onChange={options => setDraft(current => ({ ...current, options }))}
        invalid={error?.field ?? null}
      />
      <IdleField
        field={field}
        limits={idleLimits(backend)}
        value={draft.idleMinutes}
        onChange={idleMinutes =>
          setDraft(current => ({ ...current, idleMinutes }))
        }
        invalid={error?.field === 'idle_minutes'}
      />
      {preview && <PreviewView preview={preview} />}
      {error && <Alert>{error.error}</Alert>}
      <div className="jp-JasminNewPool-submit">
        <Button
          type="button"
          className="jp-mod-styled jp-mod-reject"
          disabled={busy !== null || !backends}
          title="Show the batch script, the checks and the estimated start; start nothing"
          onClick={() => void send('previewing')}
        >
          {busy === 'previewing' ? 'Previewing…' : 'Preview'}
        </Button>
        <Button
          type="submit"
          className="jp-mod-styled jp-mod-accept"
          disabled={busy !== null || !backends}
        >
          {busy === 'starting' ? 'Starting…' : 'Start pool'}
        </Button>
      </div>
    </form>
  );
}

/** Ids of the form's fields, unique in the page. */
function useFieldIds(): (suffix: string) => string {
  const id = useId();
  return suffix => `${id}-${suffix}`;
}

/** The form's values, filled with the server's defaults once the backends arrive. */
function useDraft(
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

interface IPoolFieldsProps {
  field: (suffix: string) => string;
  draft: IDraft;
  setDraft: React.Dispatch<React.SetStateAction<IDraft>>;
  limit: number;
  backends: IBackends | null;
  backend: IBackend | undefined;
  onBackend: (name: string) => void;
  /** The field the last refusal was about ("engines"), marked invalid. */
  invalid: string | null;
  /** What the engine count means for this VM's load, if it overloads it. */
  warning: string | null;
}

/** The fields every pool has: name, backend (if there is a choice) and engines. */
function PoolFields(props: IPoolFieldsProps): JSX.Element {
  const { field, draft, setDraft, limit, backends, backend, warning } = props;
  const choices = backends?.backends ?? [];
  return (
    <>
      <div className="jp-JasminField">
        <label htmlFor={field('name')}>Name</label>
        <input
          id={field('name')}
          className={`jp-mod-styled ${NAME_FIELD_CLASS}`}
          type="text"
          value={draft.name}
          maxLength={64}
          placeholder="optional"
          autoComplete="off"
          spellCheck={false}
          title="Letters, digits, '.', '_' or '-'; leave empty for pool-N"
          onChange={event => {
            const name = event.target.value;
            setDraft(current => ({ ...current, name }));
          }}
        />
      </div>
      {choices.length > 1 && (
        <div className="jp-JasminField">
          <label htmlFor={field('backend')}>Backend</label>
          <HTMLSelect
            id={field('backend')}
            value={backend?.name}
            aria-describedby={field('backend-hint')}
            options={choices.map(b => ({ value: b.name, label: b.label }))}
            onChange={event => props.onBackend(event.target.value)}
          />
          <small id={field('backend-hint')} className="jp-JasminField-hint">
            {backend?.description}
          </small>
        </div>
      )}
      <div className="jp-JasminField">
        <label htmlFor={field('engines')}>Engines</label>
        <input
          id={field('engines')}
          className="jp-mod-styled jp-JasminNumber"
          type="number"
          min={1}
          max={limit}
          step={1}
          value={draft.engines}
          title={`1 to ${limit} engines`}
          aria-invalid={props.invalid === 'engines' || undefined}
          aria-describedby={warning ? field('engines-load') : undefined}
          onChange={event => {
            const engines = event.target.value;
            setDraft(current => ({ ...current, engines }));
          }}
        />
        {warning && (
          <Alert kind="warning" id={field('engines-load')}>
            {warning}
          </Alert>
        )}
      </div>
    </>
  );
}
