/** The New pool form's fields: name, backend, engines and the backend's options. */
import { HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';
import { useTrans } from '../translation';
import { type IBackend, type IBackends } from '../api';
import { Alert } from '../feedback';
import { IDraft } from './new-pool-draft';
import { NAME_FIELD_CLASS } from './new-pool-draft';

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
export function PoolFields(props: IPoolFieldsProps): JSX.Element {
  const trans = useTrans();
  const { field, draft, setDraft, limit, backends, backend, warning } = props;
  const choices = backends?.backends ?? [];
  return (
    <>
      <div className="jp-JasminField">
        <label htmlFor={field('name')}>{trans.__('Name')}</label>
        <input
          id={field('name')}
          className={`jp-mod-styled ${NAME_FIELD_CLASS}`}
          type="text"
          value={draft.name}
          maxLength={64}
          placeholder={trans.__('optional')}
          autoComplete="off"
          spellCheck={false}
          title={trans.__(
            "Letters, digits, '.', '_' or '-'; leave empty for pool-N"
          )}
          onChange={event => {
            const name = event.target.value;
            setDraft(current => ({ ...current, name }));
          }}
        />
      </div>
      {choices.length > 1 && (
        <div className="jp-JasminField">
          <label htmlFor={field('backend')}>{trans.__('Backend')}</label>
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
        <label htmlFor={field('engines')}>{trans.__('Engines')}</label>
        <input
          id={field('engines')}
          className="jp-mod-styled jp-JasminNumber"
          type="number"
          min={1}
          max={limit}
          step={1}
          value={draft.engines}
          title={trans.__('1 to %1 engines', limit)}
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
