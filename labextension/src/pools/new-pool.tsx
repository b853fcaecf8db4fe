/**
 * The New pool form: name, backend (when the server offers more than one),
 * engines, and the chosen backend's options with their limits; *Preview* shows
 * what starting the pool would do, *Start pool* starts it. A request the server
 * refuses (a broken limit, a bad name) is shown in the form with its message.
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useRef, useState } from 'react';
import {
  JasminApiError,
  type IBackend,
  type IBackends,
  type IPreview
} from '../api';
import { useTrans } from '../translation';
import { Alert } from '../feedback';
import { IdleField } from '../idle';
import { engineLimit, idleLimits } from '../limits';
import { PoolsModel } from '../model';
import { BackendOptionFields, IFieldError } from '../option-field';
import { PreviewView } from '../preview';
import {
  IDraft,
  engineLoadWarning,
  poolRequest,
  useDraft,
  useFieldIds
} from './new-pool-draft';
import { PoolFields } from './pool-fields';

interface IFormProps {
  model: PoolsModel;
  backends: IBackends | null;
}

export function NewPoolForm({ model, backends }: IFormProps): JSX.Element {
  const trans = useTrans();
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
  const { error, busy, preview, send } = useSend(
    model,
    draft,
    setDraft,
    backend,
    limit
  );
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
        {trans.__('New pool')}
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
      <SubmitButtons busy={busy} ready={!!backends} send={send} />
    </form>
  );
}

type Sending = 'previewing' | 'starting';

/** Send the form (to preview or start the pool), keeping its error and preview. */
function useSend(
  model: PoolsModel,
  draft: IDraft,
  setDraft: React.Dispatch<React.SetStateAction<IDraft>>,
  backend: IBackend | undefined,
  limit: number
): {
  error: IFieldError | null;
  busy: Sending | null;
  preview: IPreview | null;
  send: (what: Sending) => Promise<void>;
} {
  const [error, setErrorAndField] = useState<IFieldError | null>(null);
  const setError = (message: string | null, field?: string | null): void =>
    setErrorAndField(
      message === null ? null : { error: message, field: field ?? undefined }
    );
  const [busy, setBusy] = useState<Sending | null>(null);
  const [preview, setPreview] = useState<IPreview | null>(null);
  // a preview describes the form as it was: any change drops it, and an answer
  // to an older form is dropped on arrival
  const edits = useRef(0);
  useEffect(() => {
    edits.current++;
    setPreview(null);
  }, [draft, backend?.name]);

  const send = async (what: Sending): Promise<void> => {
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
  return { error, busy, preview, send };
}

function SubmitButtons({
  busy,
  ready,
  send
}: {
  busy: Sending | null;
  ready: boolean;
  send: (what: Sending) => Promise<void>;
}): JSX.Element {
  const trans = useTrans();
  return (
    <div className="jp-JasminNewPool-submit">
      <Button
        type="button"
        className="jp-mod-styled jp-mod-reject"
        disabled={busy !== null || !ready}
        title={trans.__(
          'Show the batch script, the checks and the estimated start; start nothing'
        )}
        onClick={() => void send('previewing')}
      >
        {busy === 'previewing' ? trans.__('Previewing…') : trans.__('Preview')}
      </Button>
      <Button
        type="submit"
        className="jp-mod-styled jp-mod-accept"
        disabled={busy !== null || !ready}
      >
        {busy === 'starting' ? trans.__('Starting…') : trans.__('Start pool')}
      </Button>
    </div>
  );
}
