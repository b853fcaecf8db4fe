/** "Use in a notebook": snippets that open a dataset or analyse it on a pool. */
import { Notification } from '@jupyterlab/apputils';
import { Button, HTMLSelect } from '@jupyterlab/ui-components';
import React, { useId, useState } from 'react';
import { useTrans } from '../translation';
import { Alert } from '../feedback';
import { IDataset, IPool, getDatasetSnippet } from '../api';
import { NO_NOTEBOOK, SnippetTarget } from '../snippets';

/** Fetch a snippet and use it, saying so while it is fetched and if it fails. */
function useSnippet(
  holding: string,
  dataset: IDataset
): {
  busy: boolean;
  error: string | null;
  withSnippet: (use: (code: string) => void, pool?: IPool) => Promise<void>;
} {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const withSnippet = async (
    use: (code: string) => void,
    poolToUse?: IPool
  ): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      use(await getDatasetSnippet(holding, dataset.id, poolToUse?.id));
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, withSnippet };
}

interface ISnippetsProps {
  holding: string;
  dataset: IDataset;
  target: SnippetTarget;
  pools: IPool[];
}

type WithSnippet = (use: (code: string) => void, pool?: IPool) => void;

export function Snippets(props: ISnippetsProps): JSX.Element {
  const trans = useTrans();
  const titleId = useId();
  const { busy, error, withSnippet } = useSnippet(props.holding, props.dataset);
  const run: WithSnippet = (use, pool) => void withSnippet(use, pool);
  return (
    <section
      className="jp-JasminDataset-section"
      aria-labelledby={`${titleId}-title`}
    >
      <h2 id={`${titleId}-title`}>{trans.__('Use in a notebook')}</h2>
      <OpenSnippet target={props.target} busy={busy} run={run} />
      <AnalyseSnippet {...props} busy={busy} run={run} />
      {error && <Alert>{error}</Alert>}
    </section>
  );
}

function OpenSnippet({
  target,
  busy,
  run
}: {
  target: SnippetTarget;
  busy: boolean;
  run: WithSnippet;
}): JSX.Element {
  const trans = useTrans();
  const noNotebook = target.notebook === null;
  const openDisabled = noNotebook || busy;
  return (
    <div className="jp-JasminDataset-actions">
      <Button
        small
        className="jp-mod-styled jp-mod-accept"
        aria-disabled={openDisabled}
        title={
          noNotebook
            ? NO_NOTEBOOK
            : trans.__(
                'Add a cell that opens the dataset with xarray below the active cell'
              )
        }
        onClick={() => {
          if (!openDisabled) {
            run(code => target.insert(code));
          }
        }}
      >
        {trans.__('Insert open snippet')}
      </Button>
      <Button
        small
        minimal
        title={trans.__('Copy code that opens the dataset with xarray')}
        disabled={busy}
        onClick={() =>
          run(code => {
            target.copy(code);
            Notification.success('Open snippet copied', { autoClose: 3000 });
          })
        }
      >
        {trans.__('Copy open snippet')}
      </Button>
    </div>
  );
}

function AnalyseSnippet({
  dataset,
  target,
  pools,
  busy,
  run
}: ISnippetsProps & { busy: boolean; run: WithSnippet }): JSX.Element {
  const trans = useTrans();
  const poolFieldId = useId();
  const [poolId, setPoolId] = useState<string>('');
  const pool = pools.find(p => p.id === poolId) ?? pools[0] ?? null;
  const noNotebook = target.notebook === null;
  const analyseDisabled = noNotebook || pool === null || busy;
  const analyseTitle =
    pool === null
      ? trans.__(
          'Start an engine pool in the JASMIN panel to analyse this dataset on it'
        )
      : noNotebook
        ? NO_NOTEBOOK
        : trans._n(
            'Add a cell that maps an area mean over the %2 file on pool %3 and combines the results',
            'Add a cell that maps an area mean over the %2 files on pool %3 and combines the results',
            dataset.file_count,
            dataset.file_count.toLocaleString(),
            pool.name
          );
  return (
    <div className="jp-JasminDataset-actions">
      <label htmlFor={poolFieldId}>{trans.__('Pool')}</label>
      <HTMLSelect
        id={poolFieldId}
        aria-label={trans.__('Pool for analysis')}
        value={pool?.id ?? ''}
        disabled={pools.length === 0}
        title={
          pools.length === 0
            ? trans.__('No running engine pool: start one in the JASMIN panel')
            : trans.__('The engine pool to analyse the dataset on')
        }
        onChange={event => setPoolId(event.target.value)}
        options={
          pools.length === 0
            ? [{ value: '', label: trans.__('No running pool') }]
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
        aria-disabled={analyseDisabled}
        title={analyseTitle}
        onClick={() => {
          if (!analyseDisabled && pool) {
            run(code => target.insert(code), pool);
          }
        }}
      >
        {trans.__('Insert analyse-on-pool snippet')}
      </Button>
    </div>
  );
}
