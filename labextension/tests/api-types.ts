/**
 * Compile-time tests of `src/api.ts` (compiled by `jlpm test`, run by `jlpm check`):
 * the request types follow the OpenAPI document, and a request the document
 * does not describe fails to compile. Each `@ts-expect-error` line must be an
 * error, or tsc fails.
 */
import type {
  Args,
  IDataset,
  IDatasetPage,
  IEngine,
  IHolding,
  IJob,
  IEstimate,
  ILogFile,
  ILogTail,
  IOutput,
  IPool,
  IPreview,
  Reply
} from '../src/api';

/** Whether two types are the same (not just assignable either way). */
type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2
    ? true
    : false;
type Assert<T extends true> = T;

// Replies are the document's schemas, never `never` (which would check nothing).
export type Replies = [
  Assert<Equal<Reply<'/jasmin/api/clusters', 'get'>, { clusters: IPool[] }>>,
  // POST clusters: a preview (dry_run) with 200, a new pool with 202
  Assert<Equal<Reply<'/jasmin/api/clusters', 'post'>, IPreview>>,
  Assert<Equal<Reply<'/jasmin/api/clusters', 'post', 200>, IPreview>>,
  Assert<Equal<Reply<'/jasmin/api/clusters', 'post', 202>, IPool>>,
  Assert<
    Equal<
      Reply<
        '/jasmin/api/clusters/{pool_id}/engine-sets/{set_id}/output',
        'get'
      >,
      IOutput
    >
  >,
  Assert<
    Equal<
      Reply<
        '/jasmin/api/clusters/{pool_id}/engine-sets/{set_id}/estimate',
        'get'
      >,
      IEstimate
    >
  >,
  Assert<Equal<Reply<'/jasmin/api/clusters/{pool_id}', 'delete'>, IPool>>,
  Assert<Equal<Reply<'/jasmin/api/clusters/{pool_id}', 'patch'>, IPool>>,
  Assert<
    Equal<
      Reply<'/jasmin/api/clusters/{pool_id}/logs', 'get'>,
      { logs: ILogFile[] }
    >
  >,
  Assert<
    Equal<Reply<'/jasmin/api/clusters/{pool_id}/logs/{log}', 'get'>, ILogTail>
  >,
  Assert<Equal<Reply<'/jasmin/api/holdings/{name}/refresh', 'post'>, IHolding>>,
  Assert<
    Equal<Reply<'/jasmin/api/holdings/{name}/datasets', 'get'>, IDatasetPage>
  >,
  Assert<
    Equal<
      Reply<'/jasmin/api/holdings/{name}/datasets/{dataset_id}', 'get'>,
      IDataset
    >
  >
];

// What the server may send as null is nullable here too.
export type Nullable = [
  Assert<Equal<IEngine['host'], string | null>>,
  Assert<Equal<IDataset['version'], string | null>>,
  Assert<Equal<IPool['engine_sets'][number]['job'], IJob | null>>,
  Assert<Equal<IJob['time_left_seconds'], number | null>>,
  Assert<Equal<IPreview['estimated_start'], string | null>>,
  Assert<Equal<IPool['idle']['culls_in_seconds'], number | null>>,
  Assert<Equal<IPool['engine_sets'][number]['where'], string | null>>,
  Assert<Equal<IEngine['ssh_address'], string | null>>
];

// A reply with a status the operation does not describe is never.
export type NoSuchStatus = Assert<
  Equal<Reply<'/jasmin/api/clusters/{pool_id}', 'delete', 202>, never>
>;

export const requests: unknown[] = [
  { path: { pool_id: 'p' }, body: { engines: 2 } } satisfies Args<
    '/jasmin/api/clusters/{pool_id}',
    'patch'
  >,
  // burst: engines of another backend, with its options
  {
    path: { pool_id: 'p' },
    body: { backend: 'slurm', engines: 1, options: { walltime: 10 } }
  } satisfies Args<'/jasmin/api/clusters/{pool_id}', 'patch'>,
  {
    path: { pool_id: 'p', log: 'controller' },
    query: { lines: 200 }
  } satisfies Args<'/jasmin/api/clusters/{pool_id}/logs/{log}', 'get'>,
  { body: { engines: 1, idle_minutes: 10 } } satisfies Args<
    '/jasmin/api/clusters',
    'post'
  >,
  {
    path: { name: 'h' },
    query: { q: 'tas', latest: 'true', offset: 0, facets: { source_id: ['a'] } }
  } satisfies Args<'/jasmin/api/holdings/{name}/datasets', 'get'>,
  {} satisfies Args<'/jasmin/api/clusters', 'get'>,
  { path: { name: 'h' } } satisfies Args<
    '/jasmin/api/holdings/{name}/refresh',
    'post'
  >,

  {
    path: { pool_id: 'p', set_id: 'slurm-0' },
    query: { lines: 50 }
  } satisfies Args<
    '/jasmin/api/clusters/{pool_id}/engine-sets/{set_id}/output',
    'get'
  >,
  { body: { backend: 'slurm', engines: 2, dry_run: true } } satisfies Args<
    '/jasmin/api/clusters',
    'post'
  >,

  // @ts-expect-error: a path parameter is missing
  {} satisfies Args<'/jasmin/api/clusters/{pool_id}', 'delete'>,
  // @ts-expect-error: a path parameter has the wrong name
  { path: { id: 'p' } } satisfies Args<
    '/jasmin/api/clusters/{pool_id}',
    'delete'
  >,
  // @ts-expect-error: a body field the document does not have
  { body: { engine: 2 } } satisfies Args<'/jasmin/api/clusters', 'post'>,
  // @ts-expect-error: the body is required
  { path: { pool_id: 'p' } } satisfies Args<
    '/jasmin/api/clusters/{pool_id}',
    'patch'
  >,
  // @ts-expect-error: a GET has no body
  { body: { engines: 1 } } satisfies Args<'/jasmin/api/clusters', 'get'>,
  // @ts-expect-error: latest is "true" or "false", not a boolean
  { path: { name: 'h' }, query: { latest: true } } satisfies Args<
    '/jasmin/api/holdings/{name}/facets',
    'get'
  >,
  // @ts-expect-error: a query parameter the document does not have
  { path: { name: 'h' }, query: { page: 2 } } satisfies Args<
    '/jasmin/api/holdings/{name}/facets',
    'get'
  >
];

// @ts-expect-error: a route the document does not have
export type NoSuchRoute = Args<'/jasmin/api/pools', 'get'>;
// @ts-expect-error: a method the route does not have
export type NoSuchMethod = Args<'/jasmin/api/clusters', 'delete'>;
