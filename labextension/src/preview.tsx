/**
 * What starting a pool would do, shown in the New pool form before the user
 * starts it: its jobs, each check against the limits with a pass or fail mark,
 * the estimated start (or why there is none), and the exact batch script.
 */
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { Button } from '@jupyterlab/ui-components';
import React, { useId } from 'react';

import { useTrans } from './translation';
import type { ICheck, IPreview } from './api';
import { formatEngineSets, formatPreviewStart } from './format';

export function PreviewView({ preview }: { preview: IPreview }): JSX.Element {
  const trans = useTrans();
  const batch = preview.script !== null;
  const start = formatPreviewStart(preview);
  return (
    <section className="jp-JasminPreview" aria-label={trans.__('Preview')}>
      <p className="jp-JasminPreview-sets">
        {formatEngineSets(preview.engine_sets, batch)}
      </p>
      {preview.checks.length > 0 && <CheckList checks={preview.checks} />}
      {start && (
        <p
          className="jp-JasminPreview-start"
          aria-label={trans.__('Estimated start')}
        >
          {start}
        </p>
      )}
      {preview.script !== null ? (
        <BatchScript script={preview.script} />
      ) : (
        <p className="jp-JasminMuted">
          {trans.__(
            'No batch script: this backend starts its engines directly.'
          )}
        </p>
      )}
    </section>
  );
}

function CheckList({ checks }: { checks: ICheck[] }): JSX.Element {
  const trans = useTrans();
  return (
    <ul className="jp-JasminChecks" aria-label={trans.__('Checks')}>
      {checks.map(check => (
        <li
          key={check.check}
          className={`jp-JasminCheck jp-JasminCheck-${check.ok ? 'ok' : 'failed'}`}
        >
          <span
            role="img"
            aria-label={check.ok ? trans.__('passed') : trans.__('failed')}
          >
            {check.ok ? '✓' : '✗'}
          </span>{' '}
          <span className="jp-JasminCheck-name">{check.check}</span>:{' '}
          {check.message}
        </li>
      ))}
    </ul>
  );
}

function BatchScript({ script }: { script: string }): JSX.Element {
  const trans = useTrans();
  const id = useId();
  const onCopy = (): void => {
    Clipboard.copyToSystem(script);
    Notification.success('Batch script copied', { autoClose: 3000 });
  };
  return (
    <div className="jp-JasminScript">
      <div className="jp-JasminScript-header">
        <span id={id}>{trans.__('Batch script')}</span>
        <Button
          small
          minimal
          aria-label={trans.__('Copy batch script')}
          title={trans.__('Copy the batch script to the clipboard')}
          onClick={onCopy}
        >
          {trans.__('Copy')}
        </Button>
      </div>
      {/* focusable so a keyboard user can scroll a long script */}
      <pre aria-labelledby={id} tabIndex={0}>
        {script}
      </pre>
    </div>
  );
}
