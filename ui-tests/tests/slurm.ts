/**
 * The ui-tests server's own Slurm (started by jupyter_server_test_config.py),
 * driven from the tests with its command-line clients: a job that keeps the
 * node busy, so a pool's job has to wait in the queue, and what squeue lists.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/** What the server's config wrote to `<run>/slurm.json`. */
export interface ISlurm {
  conf: string;
  cpus: number;
  node: string;
}

const RUN_DIR = path.resolve(
  process.env.JASMIN_UI_TESTS_DIR ?? path.join(__dirname, '..', '.galata-root')
);

export function testSlurm(): ISlurm {
  return JSON.parse(fs.readFileSync(path.join(RUN_DIR, 'slurm.json'), 'utf8'));
}

function client(slurm: ISlurm, program: string, args: string[]): string {
  return execFileSync(program, args, {
    env: { ...process.env, SLURM_CONF: slurm.conf },
    encoding: 'utf8',
    timeout: 30_000
  });
}

/** Submit a job taking every CPU (and so all the memory) of the node; its id. */
export function occupyNode(slurm: ISlurm): string {
  return client(slurm, 'sbatch', [
    '--parsable',
    '--job-name=ui-tests-blocker',
    `--cpus-per-task=${slurm.cpus}`,
    '--output=/dev/null',
    '--wrap',
    'sleep 600'
  ])
    .trim()
    .split(';')[0];
}

/** Hold a job as its owner would (reason JobHeldUser), or release it. */
export function holdJob(slurm: ISlurm, job: string, hold = true): void {
  client(slurm, 'scontrol', [hold ? 'uhold' : 'release', job]);
}

export function cancelJobs(slurm: ISlurm, ...jobs: string[]): void {
  if (jobs.length) {
    client(slurm, 'scancel', jobs);
  }
}

/** Jobs squeue lists as not yet finished (pending, running, completing...), by id. */
export function liveJobs(slurm: ISlurm): Record<string, { state: string; name: string }> {
  const lines = client(slurm, 'squeue', ['-h', '-o', '%i|%T|%j']).split('\n');
  return Object.fromEntries(
    lines
      .filter(line => line.trim())
      .map(line => {
        const [id, state, name] = line.split('|');
        return [id, { state, name }];
      })
  );
}
