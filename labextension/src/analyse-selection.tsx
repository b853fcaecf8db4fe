/**
 * "Analyse the selection": below the search results, a pool picker and a
 * button that inserts one cell mapping every selected dataset's files on the
 * pool and plotting one line per model.
 */
import { Notification } from '@jupyterlab/apputils';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useId, useState } from 'react';

import { useTrans } from './translation';
import { IPool, ISelection, getSelectionSnippet } from './api';
import { Alert } from './feedback';
import { NO_NOTEBOOK, SnippetTarget } from './snippets';

/** Where the analysis snippet goes and the pools it can use. */
export interface IAnalysis {
  target: SnippetTarget;
  /** Pools a snippet can use now (running or degraded). */
  pools: () => readonly IPool[];
}

export function AnalyseSelection({
  holding,
  selection,
  total,
  analysis
}: {
  holding: string;
  selection: ISelection;
  total: number;
  analysis: IAnalysis;
}): JSX.Element {
  const trans = useTrans();
  const fieldId = useId();
  const pools = analysis.pools();
  const [poolId, setPoolId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const pool = pools.find(p => p.id === poolId) ?? pools[0] ?? null;
  const noNotebook = analysis.target.notebook === null;
  const disabled = noNotebook || busy;
  const what = trans._n(
    '%2 selected dataset',
    '%2 selected datasets',
    total,
    total.toLocaleString()
  );

  const insert = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const code = await getSelectionSnippet(holding, selection, pool?.id);
      analysis.target.insert(code);
      Notification.success(trans.__('Inserted a cell that analyses %1', what), {
        autoClose: 3000
      });
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="jp-JasminAnalyse" role="group" aria-labelledby={fieldId}>
      <label id={fieldId} htmlFor={`${fieldId}-pool`}>
        {trans.__('Analyse %1 on', what)}
      </label>
      <HTMLSelect
        id={`${fieldId}-pool`}
        aria-label={trans.__('Pool for the selection')}
        value={pool?.id ?? ''}
        disabled={pools.length === 0}
        onChange={event => setPoolId(event.target.value)}
        options={
          pools.length === 0
            ? [{ value: '', label: trans.__('this kernel (no pool running)') }]
            : pools.map(p => ({
                value: p.id,
                label: trans._n(
                  '%2 (%1 engine)',
                  '%2 (%1 engines)',
                  p.engines.running,
                  p.name
                )
              }))
        }
      />
      <Button
        small
        className="jp-mod-styled jp-mod-accept"
        aria-disabled={disabled}
        title={
          noNotebook
            ? NO_NOTEBOOK
            : pool
              ? trans.__(
                  'Add a cell that computes the annual global mean of %1 on pool %2 and plots one line per model',
                  what,
                  pool.name
                )
              : trans.__(
                  'Add a cell that computes the annual global mean of %1 in the kernel and plots one line per model',
                  what
                )
        }
        onClick={() => {
          if (!disabled) {
            void insert();
          }
        }}
      >
        {trans.__('Insert analyse-selection snippet')}
      </Button>
      {error && <Alert>{error}</Alert>}
    </div>
  );
}
