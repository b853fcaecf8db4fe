/**
 * A pool's batch jobs, one per engine set that has one: the scheduler's state
 * and reason in words, the engines it holds, and on demand (never polled: both
 * cost the scheduler or the file system) the estimated start of a pending job
 * and the tail of the job's output.
 */
import { Button } from '@jupyterlab/ui-components';
import React, { useEffect, useId, useState } from 'react';

import { useTrans } from './translation';
import type { IEngineSet, IJob, IOutput, IPool } from './api';
import { Alert, Busy } from './feedback';
import {
  formatBytes,
  formatDateTime,
  formatEstimate,
  formatJobState
} from './format';
import { PoolsModel } from './model';

interface IJobProps {
  pool: IPool;
  set: IEngineSet;
  job: IJob;
  model: PoolsModel;
}

/**
 * The jobs of a pool's engine sets (or of those given: one part's); nothing
 * for sets that are no batch job.
 */
export function JobList({
  pool,
  model,
  sets = pool.engine_sets
}: {
  pool: IPool;
  model: PoolsModel;
  sets?: IEngineSet[];
}): JSX.Element | null {
  const trans = useTrans();
  const jobs = sets.flatMap(set => (set.job ? [{ set, job: set.job }] : []));
  if (!jobs.length) {
    return null;
  }
  return (
    <ul
      className="jp-JasminJobs"
      aria-label={trans.__('Jobs of pool %1', pool.name)}
    >
      {jobs.map(({ set, job }) => (
        <JobItem key={set.id} pool={pool} set={set} job={job} model={model} />
      ))}
    </ul>
  );
}

/** When the job was submitted and started, for the tooltip of its state. */
const jobTimes = (job: IJob): string | undefined =>
  [
    job.submitted && `submitted ${formatDateTime(job.submitted)}`,
    job.started && `started ${formatDateTime(job.started)}`
  ]
    .filter(Boolean)
    .join(', ') || undefined;

/** A job as the user knows it: its scheduler id, or its engine set until it has one. */
const jobName = (set: IEngineSet, job: IJob): string =>
  job.id ? `job ${job.id}` : `engine set ${set.id}`;

function JobItem({ pool, set, job, model }: IJobProps): JSX.Element {
  const trans = useTrans();
  const [showOutput, setShowOutput] = useState(false);
  const outputId = useId();
  const name = jobName(set, job);
  return (
    <li
      className={`jp-JasminJob jp-JasminJob-${job.state.toLowerCase()}`}
      aria-label={trans.__(
        '%1%2 of pool %3',
        name[0].toUpperCase(),
        name.slice(1),
        pool.name
      )}
    >
      <div className="jp-JasminJob-header">
        <span
          className="jp-JasminJob-id"
          title={trans.__('Engine set %1', set.id)}
        >
          {name}
        </span>
        <span
          className="jp-JasminBadge jp-JasminJob-state"
          title={job.state_in_words}
        >
          {job.state}
        </span>
        <span
          className="jp-JasminJob-engines"
          title={trans.__('Running / requested engines')}
        >
          {set.running}/{set.requested} {trans.__('engines')}
        </span>
      </div>
      <p className="jp-JasminJob-words" title={jobTimes(job)}>
        {formatJobState(job)}
      </p>
      {set.error && <p className="jp-JasminPool-error">{set.error}</p>}
      <div className="jp-JasminPool-actions">
        {job.state === 'PENDING' && (
          <EstimateButton {...{ pool, set, job, model }} />
        )}
        <Button
          small
          minimal
          aria-expanded={showOutput}
          aria-controls={outputId}
          aria-label={trans.__(
            '%1 output of %2',
            showOutput ? 'Hide' : 'Show',
            name
          )}
          onClick={() => setShowOutput(!showOutput)}
        >
          {showOutput ? trans.__('Hide output') : trans.__('Show output')}
        </Button>
      </div>
      {showOutput && (
        <JobOutput
          id={outputId}
          name={name}
          pool={pool}
          set={set}
          model={model}
        />
      )}
    </li>
  );
}

/** Asks the scheduler when a pending job should start, when the user asks. */
function EstimateButton({ pool, set, job, model }: IJobProps): JSX.Element {
  const trans = useTrans();
  const [answer, setAnswer] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const onClick = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setAnswer(formatEstimate(await model.estimate(pool.id, set.id)));
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button
        small
        minimal
        disabled={busy}
        aria-label={trans.__('Estimated start of %1', jobName(set, job))}
        title={trans.__(
          'Ask the scheduler when this job should start (costly for it: on demand)'
        )}
        onClick={() => void onClick()}
      >
        {busy ? trans.__('Asking…') : trans.__('Estimated start')}
      </Button>
      <span className="jp-JasminJob-estimate" aria-live="polite">
        {answer}
      </span>
      {error && <Alert>{error}</Alert>}
    </>
  );
}

interface IOutputProps {
  id: string;
  name: string;
  pool: IPool;
  set: IEngineSet;
  model: PoolsModel;
}

/** The tail of a job's output file, read when shown and when asked again. */
function JobOutput({ id, name, pool, set, model }: IOutputProps): JSX.Element {
  const trans = useTrans();
  const [output, setOutput] = useState<IOutput | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const load = async (): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      setOutput(await model.output(pool.id, set.id));
    } catch (reason) {
      setError((reason as Error).message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => void load(), []);
  return (
    <div id={id} className="jp-JasminOutput">
      {busy && !output && <Busy text="Reading the output…" />}
      {error && <Alert>{error}</Alert>}
      {output && (
        <>
          <pre aria-label={trans.__('Output of %1', name)} tabIndex={0}>
            {output.text || trans.__('(nothing written yet)')}
          </pre>
          <div className="jp-JasminOutput-footer">
            <span className="jp-JasminMuted" title={output.path}>
              {output.truncated ? trans.__('Last lines of ') : ''}
              {output.path.split('/').pop()} ({formatBytes(output.size)})
            </span>
            <Button
              small
              minimal
              disabled={busy}
              aria-label={trans.__('Read the output of %1 again', name)}
              onClick={() => void load()}
            >
              {busy ? trans.__('Reading…') : trans.__('Reload')}
            </Button>
          </div>
        </>
      )}
    </div>
  );
}
