/**
 * A pool's logs (its controller's, each engine set's, batch jobs' output
 * files): a disclosure on the pool's card listing them, with the tail of the
 * chosen one. Read when opened and when asked again, never polled.
 */
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useEffect, useId, useRef, useState } from 'react';

import { useTrans } from './translation';
import type { ILogFile, ILogTail, IPool } from './api';
import { Alert, Busy } from './feedback';
import { formatBytes } from './format';
import { PoolsModel } from './model';

interface ILogsProps {
  pool: IPool;
  model: PoolsModel;
}

/** The "Logs" disclosure: its content is read only once it is opened. */
export function PoolLogs({ pool, model }: ILogsProps): JSX.Element {
  const trans = useTrans();
  const [open, setOpen] = useState(false);
  return (
    <details
      className="jp-JasminLogs"
      onToggle={event => setOpen((event.target as HTMLDetailsElement).open)}
    >
      <summary aria-label={trans.__('Logs of pool %1', pool.name)}>
        {trans.__('Logs')}
      </summary>
      {open && <LogViewer pool={pool} model={model} />}
    </details>
  );
}

/** The list of logs, the chosen one's tail and a Refresh button. */
function LogViewer({ pool, model }: ILogsProps): JSX.Element {
  const trans = useTrans();
  const selectId = useId();
  const [files, setFiles] = useState<ILogFile[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [tail, setTail] = useState<ILogTail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async (name: string | null): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const listed = await model.logs(pool.id);
      setFiles(listed);
      const shown = listed.find(file => file.name === name) ?? listed[0];
      setChosen(shown?.name ?? null);
      setTail(shown ? await model.log(pool.id, shown.name) : null);
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(chosen), []);
  // a tail is read from its end: show the last lines first
  const text = useRef<HTMLPreElement>(null);
  useEffect(() => {
    text.current?.scrollTo({ top: text.current.scrollHeight });
  }, [tail]);

  const file = files?.find(f => f.name === chosen);
  return (
    <div className="jp-JasminOutput">
      {busy && !files && <Busy text="Reading the logs…" />}
      {error && <Alert>{error}</Alert>}
      {files && files.length === 0 && (
        <p className="jp-JasminMuted">{trans.__('This pool has no logs.')}</p>
      )}
      {files && files.length > 0 && (
        <div className="jp-JasminOutput-footer">
          <label htmlFor={selectId} className="jp-JasminMuted">
            {trans.__('Log')}
          </label>
          <HTMLSelect
            id={selectId}
            value={chosen ?? undefined}
            aria-label={trans.__('Log of pool %1', pool.name)}
            options={files.map(f => ({ value: f.name, label: f.label }))}
            onChange={event => void load(event.target.value)}
          />
          <Button
            small
            minimal
            disabled={busy}
            aria-label={trans.__('Refresh the logs of pool %1', pool.name)}
            onClick={() => void load(chosen)}
          >
            {busy ? trans.__('Reading…') : trans.__('Refresh')}
          </Button>
        </div>
      )}
      {tail && file && (
        <>
          <pre
            ref={text}
            aria-label={trans.__('%1 log of pool %2', file.label, pool.name)}
            tabIndex={0}
          >
            {tail.text || trans.__('(nothing written yet)')}
          </pre>
          <span className="jp-JasminMuted">
            {tail.truncated ? trans.__('Last lines of ') : ''}
            {file.name} ({formatBytes(tail.size)})
          </span>
        </>
      )}
    </div>
  );
}
