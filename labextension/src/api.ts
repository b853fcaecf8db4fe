/**
 * The server's REST API under `<baseUrl>jasmin/api/`: its types and one
 * function per request. Errors come back as `JasminApiError` carrying the
 * server's human-readable `message`.
 *
 * Every type of a request or reply comes from the server's OpenAPI document,
 * `jupyter_jasmin/openapi.yaml`, through `openapi.generated.ts`, which
 * `jlpm build:types` writes before every build and check: the panel and the
 * server cannot disagree on a field. The aliases below only give the
 * document's schemas the names the rest of the front end uses, and each
 * request names a route and method of the document, which types its path
 * parameters, query, body and reply.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { components, paths } from './openapi.generated';

type Schemas = components['schemas'];

// --- Engine pools ------------------------------------------------------------

export type IResources = Schemas['Resources'];
export type OptionValue = Schemas['OptionValue'];
export type IBackendOption = Schemas['BackendOption'];
export type IBackend = Schemas['Backend'];
export type IBackends = Schemas['Backends'];
export type INewPool = Schemas['NewPool'];
export type PoolState = Schemas['PoolState'];
export type IEngine = Schemas['Engine'];
export type EngineState = IEngine['state'];
export type IPool = Schemas['Pool'];
export type IPoolActions = Schemas['PoolActions'];
/** The engines a pool has of one backend (the first part is the pool's own). */
export type IPoolPart = Schemas['Part'];
/** A pool's idle clock: `minutes` null when culling is off. */
export type IIdle = IPool['idle'];
/** How long a backend's pools may stay idle (minutes; null: never / no maximum). */
export type IIdleLimits = IBackend['idle_minutes'];
/** What PATCH clusters/{id} asks: engines of a backend, or an idle time. */
export type IScale = Schemas['Scale'];
/** One log a pool keeps (its controller's, an engine set's). */
export type ILogFile = Schemas['Log'];
/** The tail of one of a pool's logs. */
export type ILogTail = Schemas['LogTail'];
export type IEngineSet = Schemas['EngineSet'];
export type IJob = Schemas['Job'];
export type ICheck = Schemas['Check'];
export type IPreview = Schemas['Preview'];
export type IOutput = Schemas['Output'];
export type IEstimate = Schemas['Estimate'];

// --- Dataset holdings --------------------------------------------------------

export type HoldingState = Schemas['HoldingState'];
/** A configured archive of datasets and the state of its index. */
export type IHolding = Schemas['Holding'];
export type IUnmatchedPath = IHolding['unmatched_paths'][number];
export type IFacetCounts = Schemas['FacetCounts'];
export type IFacetValue = IFacetCounts['facets'][string][number];
export type FacetValue = Schemas['FacetValue'];
export type IDatasetSummary = Schemas['DatasetSummary'];
export type IDatasetPage = Schemas['DatasetPage'];
export type IDatasetFile = Schemas['DatasetFile'];
export type IDatasetVersion = Schemas['DatasetVersion'];
export type IDataset = Schemas['Dataset'];
export type AttributeValue = Schemas['AttributeValue'];
export type ICoordinate = Schemas['Coordinate'];
export type IVariable = Schemas['Variable'];
export type IDatasetMetadata = Schemas['DatasetMetadata'];

/**
 * What a search asks for, as the panel holds it: values per facet (OR within,
 * AND across), text, latest only. `searchQuery` turns it into the document's
 * query parameters.
 */
export interface ISelection {
  facets: Readonly<Record<string, readonly string[]>>;
  text: string;
  latest: boolean;
}

// --- Requests, typed by the document's routes -------------------------------

export type Route = keyof paths;
type Method = 'get' | 'post' | 'patch' | 'delete';
/** The document's operation for a method at a route (never if it has none). */
type Operation<R extends Route, M extends Method> = Exclude<
  paths[R][M],
  undefined
>;
/** The methods the document describes at a route. */
export type MethodOf<R extends Route> = {
  [M in Method]: [Operation<R, M>] extends [never] ? never : M;
}[Method];

/** The statuses a request may succeed with. */
export type SuccessStatus = 200 | 202;
/** The first success an operation describes: 200, else 202. */
type FirstSuccess<O> = O extends { responses: { 200: unknown } }
  ? 200
  : O extends { responses: { 202: unknown } }
    ? 202
    : never;
type JsonAt<O, S extends SuccessStatus> = O extends {
  responses: Record<S, { content: { 'application/json': infer B } }>;
}
  ? B
  : never;
/**
 * The JSON body an operation answers with on success: with its 200 if it
 * describes one, else its 202; or with the status `S` given (`POST clusters`
 * answers a preview with 200 and a new pool with 202).
 */
export type Reply<
  R extends Route,
  M extends MethodOf<R>,
  S extends SuccessStatus = FirstSuccess<Operation<R, M>>
> = JsonAt<Operation<R, M>, S>;

type PathArgs<O> = O extends { parameters: { path: infer P } }
  ? { path: P }
  : { path?: undefined };
type QueryArgs<O> = O extends { parameters: { query?: never } }
  ? { query?: undefined }
  : O extends { parameters: { query?: infer Q } }
    ? { query?: Q }
    : never;
type BodyArgs<O> = O extends { requestBody?: never }
  ? { body?: undefined }
  : O extends { requestBody: { content: { 'application/json': infer B } } }
    ? { body: B }
    : O extends { requestBody?: { content: { 'application/json': infer B } } }
      ? { body?: B }
      : never;
interface IOptions {
  signal?: AbortSignal;
  settings?: ServerConnection.ISettings;
}
/** What a request at a route sends: its path parameters, query and body. */
export type Args<R extends Route, M extends MethodOf<R>> = PathArgs<
  Operation<R, M>
> &
  QueryArgs<Operation<R, M>> &
  BodyArgs<Operation<R, M>> &
  IOptions;
/** `Args` as the code that sends any request reads them. */
interface IAnyArgs extends IOptions {
  path?: Record<string, string>;
  query?: Record<string, unknown>;
  body?: unknown;
}

/** The query parameters of a facet search, as the document names them. */
export type SearchQuery = NonNullable<
  Args<'/jasmin/api/holdings/{name}/facets', 'get'>['query']
>;

/** A request the server refused or could not answer, with a message for the user. */
export class JasminApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    /** The request's field the server refused ("engines", "options.nice"), if one. */
    readonly field: string | null = null
  ) {
    super(message);
    this.name = 'JasminApiError';
  }
}

/**
 * A query string as the document's parameters are sent: an object parameter
 * (`style: form, explode: true`, as the facet selection) becomes one pair per
 * key, and an array one pair per item.
 */
function queryString(query: Record<string, unknown>): string {
  const search = new URLSearchParams();
  const add = (name: string, value: unknown): void => {
    if (value === undefined || value === null) {
      return;
    } else if (Array.isArray(value)) {
      value.forEach(item => add(name, item));
    } else if (typeof value === 'object') {
      Object.entries(value).forEach(([key, item]) => add(key, item));
    } else {
      search.append(name, String(value));
    }
  };
  Object.entries(query).forEach(([name, value]) => add(name, value));
  return search.toString();
}

function requestUrl(
  route: string,
  { path, query }: IAnyArgs,
  settings: ServerConnection.ISettings
): string {
  const filled = route.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent(String(path?.[name]))
  );
  // the document's routes are relative to the server's base URL (its `servers` is /)
  const url = URLExt.join(settings.baseUrl, filled);
  const search = query ? queryString(query) : '';
  return search ? `${url}?${search}` : url;
}

/** The server's message in an error reply (`Error` in the document), and the field it is about. */
function errorReply(text: string): {
  message: string | null;
  field: string | null;
} {
  try {
    const body: unknown = JSON.parse(text);
    const reply: Partial<Schemas['Error']> =
      body && typeof body === 'object'
        ? (body as Partial<Schemas['Error']>)
        : {};
    const { message, field } = reply;
    return {
      message: typeof message === 'string' && message ? message : null,
      field: typeof field === 'string' && field ? field : null
    };
  } catch {
    return { message: null, field: null };
  }
}

/** Send one request to a route of the document; an error reply throws `JasminApiError`. */
async function send<R extends Route, M extends MethodOf<R>>(
  route: R,
  method: M,
  args: Args<R, M>
): Promise<Response> {
  const all: IAnyArgs = args;
  const settings = all.settings ?? ServerConnection.makeSettings();
  const init: RequestInit = {
    method: method.toUpperCase(),
    signal: all.signal
  };
  if (all.body !== undefined) {
    init.body = JSON.stringify(all.body);
    init.headers = { 'Content-Type': 'application/json' };
  }
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      requestUrl(route, all, settings),
      init,
      settings
    );
  } catch (error) {
    throw new JasminApiError(
      `Cannot reach the Jupyter server (${String(error)})`,
      0
    );
  }
  if (!response.ok) {
    const { message, field } = errorReply(await response.text());
    throw new JasminApiError(
      message ?? `${response.status} ${response.statusText}`.trim(),
      response.status,
      field
    );
  }
  return response;
}

/** Send one request to a route of the document and return its JSON reply. */
function request<R extends Route, M extends MethodOf<R>>(
  route: R,
  method: M,
  args: Args<R, M>
): Promise<Reply<R, M>> {
  return requestAt(route, method, null, args) as Promise<Reply<R, M>>;
}

/**
 * Send one request whose success must have the status given (for a route
 * answering different bodies with 200 and 202), and return its JSON reply.
 */
async function requestAt<
  R extends Route,
  M extends MethodOf<R>,
  S extends SuccessStatus
>(
  route: R,
  method: M,
  status: S | null,
  args: Args<R, M>
): Promise<Reply<R, M, S>> {
  const response = await send(route, method, args);
  if (status !== null && response.status !== status) {
    throw new JasminApiError(
      `The server answered ${method.toUpperCase()} ${route} with ${response.status}, not ${status}`,
      response.status
    );
  }
  try {
    return (await response.json()) as Reply<R, M, S>;
  } catch (error) {
    throw new JasminApiError(
      `The server's answer to ${method.toUpperCase()} ${route} is not JSON (${String(error)})`,
      response.status
    );
  }
}

// --- Engine pools ------------------------------------------------------------

export const getResources = (): Promise<IResources> =>
  request('/jasmin/api/resources', 'get', {});

export const getBackends = (): Promise<IBackends> =>
  request('/jasmin/api/backends', 'get', {});

export const listPools = async (): Promise<IPool[]> =>
  (await request('/jasmin/api/clusters', 'get', {})).clusters;

/** Start a pool (202); the server refuses a request over a limit with 400. */
export const createPool = (body: INewPool): Promise<IPool> =>
  requestAt('/jasmin/api/clusters', 'post', 202, {
    body: { ...body, dry_run: false }
  });

/** What starting this pool would do (200), creating nothing. */
export const previewPool = (
  body: INewPool,
  signal?: AbortSignal
): Promise<IPreview> =>
  requestAt('/jasmin/api/clusters', 'post', 200, {
    body: { ...body, dry_run: true },
    signal
  });

/** The tail of an engine set's output (a batch job's output file). */
export const getEngineSetOutput = (
  poolId: string,
  setId: string,
  lines: number
): Promise<IOutput> =>
  request('/jasmin/api/clusters/{pool_id}/engine-sets/{set_id}/output', 'get', {
    path: { pool_id: poolId, set_id: setId },
    query: { lines }
  });

/** When the scheduler expects an engine set's pending job to start (costly: on demand). */
export const getEngineSetEstimate = (
  poolId: string,
  setId: string
): Promise<IEstimate> =>
  request(
    '/jasmin/api/clusters/{pool_id}/engine-sets/{set_id}/estimate',
    'get',
    { path: { pool_id: poolId, set_id: setId } }
  );

/**
 * Scale one part of a pool: `engines` of `backend` (the pool's own by default;
 * another enabled backend adds a part with its `options`; 0 removes a part).
 */
export const scalePool = (id: string, change: IScale): Promise<IPool> =>
  request('/jasmin/api/clusters/{pool_id}', 'patch', {
    path: { pool_id: id },
    body: change
  });

/** The logs a pool keeps: its controller's and each engine set's. */
export const listPoolLogs = async (id: string): Promise<ILogFile[]> =>
  (
    await request('/jasmin/api/clusters/{pool_id}/logs', 'get', {
      path: { pool_id: id }
    })
  ).logs;

/** The last `lines` lines of one of a pool's logs. */
export const getPoolLog = (
  id: string,
  log: string,
  lines: number
): Promise<ILogTail> =>
  request('/jasmin/api/clusters/{pool_id}/logs/{log}', 'get', {
    path: { pool_id: id, log },
    query: { lines }
  });

export const stopPool = (id: string): Promise<IPool> =>
  request('/jasmin/api/clusters/{pool_id}', 'delete', {
    path: { pool_id: id }
  });

export const getSnippet = async (id: string): Promise<string> =>
  (
    await request('/jasmin/api/clusters/{pool_id}/snippet', 'get', {
      path: { pool_id: id }
    })
  ).code;

// --- Dataset holdings --------------------------------------------------------

/** The query parameters of a search for a selection (facet=value repeated, q, latest). */
export function searchQuery(selection: ISelection): SearchQuery {
  const text = selection.text.trim();
  const facets = Object.fromEntries(
    Object.entries(selection.facets).map(([facet, values]) => [
      facet,
      [...values]
    ])
  );
  return {
    facets,
    ...(text ? { q: text } : {}),
    latest: selection.latest ? 'true' : 'false'
  };
}

export const listHoldings = async (): Promise<IHolding[]> =>
  (await request('/jasmin/api/holdings', 'get', {})).holdings;

export const getHolding = (name: string): Promise<IHolding> =>
  request('/jasmin/api/holdings/{name}', 'get', { path: { name } });

/** Rebuild a holding's index (only the folders that changed, unless `full`). */
export const refreshHolding = (name: string, full = false): Promise<IHolding> =>
  request('/jasmin/api/holdings/{name}/refresh', 'post', {
    path: { name },
    body: full ? { full } : undefined
  });

export const getFacetCounts = (
  holding: string,
  selection: ISelection,
  signal?: AbortSignal
): Promise<IFacetCounts> =>
  request('/jasmin/api/holdings/{name}/facets', 'get', {
    path: { name: holding },
    query: searchQuery(selection),
    signal
  });

export const getDatasetPage = (
  holding: string,
  selection: ISelection,
  offset: number,
  limit: number,
  signal?: AbortSignal
): Promise<IDatasetPage> =>
  request('/jasmin/api/holdings/{name}/datasets', 'get', {
    path: { name: holding },
    query: { ...searchQuery(selection), offset, limit },
    signal
  });

export const getDataset = (holding: string, id: string): Promise<IDataset> =>
  request('/jasmin/api/holdings/{name}/datasets/{dataset_id}', 'get', {
    path: { name: holding, dataset_id: id }
  });

export const getDatasetMetadata = (
  holding: string,
  id: string
): Promise<IDatasetMetadata> =>
  request('/jasmin/api/holdings/{name}/datasets/{dataset_id}/metadata', 'get', {
    path: { name: holding, dataset_id: id }
  });

/** Code that opens the dataset with xarray, or maps over its files on a pool. */
export const getDatasetSnippet = async (
  holding: string,
  id: string,
  pool?: string
): Promise<string> =>
  (
    await request(
      '/jasmin/api/holdings/{name}/datasets/{dataset_id}/snippet',
      'get',
      {
        path: { name: holding, dataset_id: id },
        query: pool ? { pool } : {}
      }
    )
  ).code;

/**
 * One cell that analyses every dataset of a selection (on a pool, if given)
 * and plots one line per model.
 */
export const getSelectionSnippet = async (
  holding: string,
  selection: ISelection,
  pool?: string
): Promise<string> =>
  (
    await request('/jasmin/api/holdings/{name}/snippet', 'get', {
      path: { name: holding },
      query: { ...searchQuery(selection), ...(pool ? { pool } : {}) }
    })
  ).code;

/**
 * A quick-look picture of one variable at one time step, as a Blob. The
 * server answers errors as JSON, turned into a `JasminApiError` here.
 */
/** A quick-look picture and what it shows, for the pickers. */
export interface IQuicklook {
  picture: Blob;
  /** The time step drawn (`1950-01`), which the `time` parameter takes back. */
  time: string | null;
  /** The index of the level drawn, or null when the variable has none. */
  level: number | null;
  /** Every level's label (`1000 hPa`), in index order. */
  levels: string[];
  /** Why the picture is empty (`all values missing at 1000 hPa, 1950-01`). */
  missing: string | null;
}

export async function getQuicklook(
  holding: string,
  id: string,
  variable: string | null,
  time: string | null,
  level: string | null,
  theme: 'light' | 'dark',
  signal?: AbortSignal,
  settings?: ServerConnection.ISettings
): Promise<IQuicklook> {
  const response = await send(
    '/jasmin/api/holdings/{name}/datasets/{dataset_id}/quicklook.png',
    'get',
    {
      path: { name: holding, dataset_id: id },
      query: {
        ...(variable ? { variable } : {}),
        ...(time ? { time } : {}),
        ...(level ? { level } : {}),
        theme
      },
      signal,
      settings
    }
  );
  const header = (name: string): string | null => response.headers.get(name);
  const level_ = header('X-Jasmin-Level');
  return {
    picture: await response.blob(),
    time: header('X-Jasmin-Time'),
    level: level_ === null ? null : Number(level_),
    levels: header('X-Jasmin-Levels')?.split('; ') ?? [],
    missing: header('X-Jasmin-Missing')
  };
}

// --- Data a kernel used ------------------------------------------------------

/** One dataset a kernel opened or mapped, with the tracking ids of the files used. */
export type ICitation = Schemas['Citation'];
/** The datasets a kernel used, and the list `citations()` prints for a data statement. */
export type IKernelCitations = Schemas['KernelCitations'];

/** The datasets the kernel `kernelId` (of this server) opened or mapped. */
export const getKernelCitations = (
  kernelId: string,
  signal?: AbortSignal
): Promise<IKernelCitations> =>
  request('/jasmin/api/kernels/{kernel_id}/citations', 'get', {
    path: { kernel_id: kernelId },
    signal
  });
