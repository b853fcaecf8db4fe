/**
 * "Add engines from…" on a running pool's card: engines of another enabled
 * backend join the pool as a part of their own (burst: a local pool gains
 * engines in Slurm jobs), with that backend's options as the New pool form
 * shows them.
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useId, useState } from 'react';

import { useTrans } from './translation';
import type { IBackend, OptionValue } from './api';
import { Alert } from './feedback';
import { engineCountError, engineLimit } from './limits';
import {
  BackendOptionFields,
  optionDefaults,
  parseOptions
} from './option-field';
import { burstBackends, partLimit } from './parts';
import type { IPartsProps } from './pool-parts';

/** The button, and once pressed the form that adds engines of another backend. */
export function AddEngines(props: IPartsProps): JSX.Element | null {
  const trans = useTrans();
  const { pool, backends } = props;
  const [open, setOpen] = useState(false);
  const others = burstBackends(pool, backends);
  const growing = pool.state === 'running' || pool.state === 'degraded';
  if (!growing || !pool.actions.scale || !others.length) {
    return null;
  }
  if (!open) {
    return (
      <div className="jp-JasminPool-actions">
        <Button
          small
          minimal
          aria-label={trans.__(
            'Add engines from another backend to pool %1',
            pool.name
          )}
          title={trans.__(
            'Engines of another backend join this pool, under the same controller'
          )}
          onClick={() => setOpen(true)}
        >
          {trans.__('Add engines from…')}
        </Button>
      </div>
    );
  }
  return <AddEnginesForm {...props} onClose={() => setOpen(false)} />;
}

function AddEnginesForm(
  props: IPartsProps & { onClose: () => void }
): JSX.Element {
  const trans = useTrans();
  const { pool, model, backends, action, run, onClose } = props;
  const id = useId();
  const field = (suffix: string): string => `${id}-${suffix}`;
  const others = burstBackends(pool, backends);
  const [backendName, setBackendName] = useState(others[0]?.name);
  const backend = others.find(b => b.name === backendName) ?? others[0];
  const [engines, setEngines] = useState('1');
  const [options, setOptions] = useState<Record<string, OptionValue>>({});
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setOptions(optionDefaults(backend)), [backend?.name]);
  const limit = partLimit(
    pool,
    { requested: 0 },
    backend?.limits.max_engines,
    engineLimit(backends, backend)
  );

  const onAdd = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    setError(null);
    const count = Number(engines);
    const wrong = backend
      ? engineCountError(engines, 1, limit)
      : 'Choose a backend';
    if (wrong || !backend) {
      setError(wrong);
      return;
    }
    const parsed = parseOptions(backend, options);
    if ('error' in parsed) {
      setError(String(parsed.error));
      return;
    }
    const change = { backend: backend.name, engines: count, options: parsed };
    if (await run(() => model.scale(pool.id, change))) {
      onClose();
    }
  };

  return (
    <form
      className="jp-JasminAddEngines"
      aria-label={trans.__('Add engines to pool %1', pool.name)}
      onSubmit={onAdd}
      noValidate
    >
      <BurstFields
        field={field}
        others={others}
        backend={backend}
        onBackend={setBackendName}
        engines={engines}
        onEngines={setEngines}
        limit={limit}
      />
      <BackendOptionFields
        field={field}
        backend={backend}
        values={options}
        onChange={setOptions}
      />
      {error && <Alert>{error}</Alert>}
      <div className="jp-JasminPool-actions">
        <Button type="button" small minimal onClick={onClose}>
          {trans.__('Cancel')}
        </Button>
        <Button
          type="submit"
          small
          className="jp-mod-styled jp-mod-accept"
          disabled={action !== null}
          aria-label={trans.__('Add the engines to pool %1', pool.name)}
        >
          {trans.__('Add engines')}
        </Button>
      </div>
    </form>
  );
}

/** Where the engines come from, and how many. */
function BurstFields(props: {
  field: (suffix: string) => string;
  others: IBackend[];
  backend: IBackend | undefined;
  onBackend: (name: string) => void;
  engines: string;
  onEngines: (engines: string) => void;
  limit: number;
}): JSX.Element {
  const trans = useTrans();
  const { field, backend, limit } = props;
  return (
    <>
      <div className="jp-JasminField">
        <label htmlFor={field('backend')}>{trans.__('Add engines from')}</label>
        <HTMLSelect
          id={field('backend')}
          value={backend?.name}
          options={props.others.map(b => ({ value: b.name, label: b.label }))}
          onChange={event => props.onBackend(event.target.value)}
        />
        <small className="jp-JasminField-hint">{backend?.description}</small>
      </div>
      <div className="jp-JasminField">
        <label htmlFor={field('engines')}>{trans.__('Engines to add')}</label>
        <input
          id={field('engines')}
          className="jp-mod-styled jp-JasminNumber"
          type="number"
          min={1}
          max={limit}
          step={1}
          value={props.engines}
          title={trans.__('1 to %1 engines', limit)}
          onChange={event => props.onEngines(event.target.value)}
        />
      </div>
    </>
  );
}
