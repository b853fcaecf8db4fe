/**
 * The fields of a backend's typed options (integer, number, string, select or
 * boolean), with their limits shown under them: in the New pool form, and where
 * a running pool adds engines from another backend.
 */
import { HTMLSelect } from '@jupyterlab/ui-components';
import React from 'react';

import { useTrans } from './translation';
import type { IBackend, IBackendOption, OptionValue } from './api';
import { chosenPartition, optionHint } from './limits';

/** Default form values of a backend's options, as the inputs hold them. */
export function optionDefaults(
  backend?: IBackend
): Record<string, OptionValue> {
  const values: Record<string, OptionValue> = {};
  for (const option of backend?.options ?? []) {
    values[option.name] =
      option.type === 'boolean'
        ? Boolean(option.default)
        : String(option.default);
  }
  return values;
}

/** The field of a refused request an option's input shows (as the server names it). */
export const optionField = (option: IBackendOption): string =>
  `options.${option.name}`;

/** Why a form cannot be sent: the message, and the field it is about (if one). */
export interface IFieldError {
  error: string;
  field?: string;
}

/** An option's form value as the server wants it, or an error message. */
export function parseOption(
  option: IBackendOption,
  value: OptionValue | undefined
): OptionValue | IFieldError {
  switch (option.type) {
    case 'boolean':
      return Boolean(value);
    case 'integer':
    case 'number': {
      const text = String(value ?? '').trim();
      const number = Number(text);
      if (
        text === '' ||
        !Number.isFinite(number) ||
        (option.type === 'integer' && !Number.isInteger(number))
      ) {
        const whole = option.type === 'integer' ? 'whole ' : '';
        const asked = text === '' ? 'nothing' : `'${text}'`;
        return {
          error: `${option.label} must be a ${whole}number (${asked} asked)`,
          field: optionField(option)
        };
      }
      return number;
    }
    default:
      return String(value ?? '');
  }
}

/** A backend's option values as the server wants them, or the first error. */
export function parseOptions(
  backend: IBackend | undefined,
  values: Record<string, OptionValue>
): Record<string, OptionValue> | IFieldError {
  const options: Record<string, OptionValue> = {};
  for (const option of backend?.options ?? []) {
    const value = parseOption(option, values[option.name]);
    if (typeof value === 'object') {
      return value;
    }
    options[option.name] = value;
  }
  return options;
}

interface IOptionsProps {
  /** Unique ids for the fields: `field('option-walltime')`. */
  field: (suffix: string) => string;
  backend: IBackend | undefined;
  values: Record<string, OptionValue>;
  onChange: (values: Record<string, OptionValue>) => void;
  /** The field the last refusal was about ("options.nice"), marked invalid. */
  invalid?: string | null;
}

/** Every option of a backend, each with its limits and the chosen partition's. */
export function BackendOptionFields(props: IOptionsProps): JSX.Element {
  const { field, backend, values, onChange, invalid } = props;
  const partition = chosenPartition(backend, values);
  return (
    <>
      {backend?.options.map(option => (
        <OptionField
          key={`${backend.name}-${option.name}`}
          id={field(`option-${option.name}`)}
          option={option}
          value={values[option.name]}
          hint={optionHint(option, partition)}
          invalid={invalid === optionField(option)}
          onChange={value => onChange({ ...values, [option.name]: value })}
        />
      ))}
    </>
  );
}

interface IFieldProps {
  id: string;
  option: IBackendOption;
  value: OptionValue | undefined;
  /** The limits shown under the field ("1–1440 · partition main: at most 30"). */
  hint: string | null;
  onChange: (value: OptionValue) => void;
  /** Whether the server or the form refused this field's value. */
  invalid?: boolean;
}

export function OptionField(props: IFieldProps): JSX.Element {
  const trans = useTrans();
  const { id, option, value, hint, onChange, invalid = false } = props;
  const help = option.help || undefined;
  const hintId = hint ? `${id}-hint` : undefined;
  const common = {
    id,
    title: help,
    'aria-describedby': hintId,
    'aria-invalid': invalid || undefined
  };
  let input: JSX.Element;
  if (option.type === 'boolean') {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={Boolean(value)}
        onChange={event => onChange(event.target.checked)}
      />
    );
  } else if (option.type === 'select') {
    input = (
      <HTMLSelect
        {...common}
        value={String(value ?? '')}
        options={(option.choices ?? []).map(choice => ({
          value: choice,
          label: choice === '' ? trans.__('(default)') : choice
        }))}
        onChange={event => onChange(event.target.value)}
      />
    );
  } else {
    const numeric = option.type === 'integer' || option.type === 'number';
    input = (
      <input
        {...common}
        className={`jp-mod-styled${numeric ? ' jp-JasminNumber' : ''}`}
        type={numeric ? 'number' : 'text'}
        min={option.minimum}
        max={option.maximum}
        step={option.type === 'integer' ? 1 : numeric ? 'any' : undefined}
        value={String(value ?? '')}
        placeholder={option.default === '' ? trans.__('(default)') : undefined}
        onChange={event => onChange(event.target.value)}
      />
    );
  }
  const label = (
    <label htmlFor={id} title={help}>
      {option.label}
    </label>
  );
  const checkbox = option.type === 'boolean';
  return (
    <div
      className={`jp-JasminField${checkbox ? ' jp-JasminField-checkbox' : ''}`}
    >
      {checkbox ? (
        <>
          {input}
          {label}
        </>
      ) : (
        <>
          {label}
          {input}
        </>
      )}
      {hint && (
        <small id={hintId} className="jp-JasminField-hint">
          {hint}
        </small>
      )}
    </div>
  );
}
