/**
 * The server's REST API under `<baseUrl>jasmin/api/`: its types and one
 * function per request. Errors come back as `JasminApiError` carrying the
 * server's human-readable `message`.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

export type PoolState =
  | 'starting'
  | 'running'
  | 'degraded'
  | 'stopping'
  | 'stopped'
  | 'failed';

export type EngineState = 'starting' | 'running' | 'stopping' | 'lost';

export interface IEngine {
  id: number;
  host: string;
  pid: number | null;
  state: EngineState;
  cpu_percent: number | null;
  memory_bytes: number | null;
  error: string | null;
}

export interface IPool {
  id: string;
  name: string;
  backend: string;
  state: PoolState;
  error: string | null;
  options: Record<string, OptionValue>;
  created: string;
  ready_seconds: number | null;
  engines: {
    requested: number;
    running: number;
    starting: number;
    lost: number;
    list: IEngine[];
  };
  controller: { pid: number | null } | null;
  connection_file: string;
}

export interface IResources {
  hostname: string;
  cores: { logical: number; physical: number | null; usable: number };
  memory: { total_bytes: number; available_bytes: number };
  load_average: number[];
  cpu_percent: number | null;
  suggested_engines: number;
}

export type OptionValue = number | string | boolean;

export interface IBackendOption {
  name: string;
  type: 'integer' | 'number' | 'string' | 'select' | 'boolean';
  label: string;
  default: OptionValue;
  help?: string;
  minimum?: number;
  maximum?: number;
  choices?: string[];
}

export interface IBackend {
  name: string;
  label: string;
  description: string;
  options: IBackendOption[];
  limits: { max_engines: number };
}

export interface IBackends {
  backends: IBackend[];
  limits: { max_pools: number; max_engines_per_pool: number };
  suggested_engines: number;
}

export interface INewPool {
  name?: string;
  backend?: string;
  engines?: number;
  options?: Record<string, OptionValue>;
}

/** A request the server refused or could not answer, with a message for the user. */
export class JasminApiError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'JasminApiError';
  }
}

/** Send one request to the JASMIN API and return its JSON body. */
export async function requestAPI<T>(
  path: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, 'jasmin', 'api', path);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new JasminApiError(
      `Cannot reach the Jupyter server (${String(error)})`,
      0
    );
  }
  const text = await response.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!response.ok) {
    const message =
      body && typeof body === 'object' && 'message' in body
        ? String((body as { message: unknown }).message)
        : `${response.status} ${response.statusText}`.trim();
    throw new JasminApiError(message, response.status);
  }
  return body as T;
}

function jsonBody(method: string, body: unknown): RequestInit {
  return {
    method,
    body: JSON.stringify(body),
    headers: { 'Content-Type': 'application/json' }
  };
}

const poolPath = (id: string): string =>
  `clusters/${encodeURIComponent(id)}`;

export const getResources = (): Promise<IResources> =>
  requestAPI<IResources>('resources');

export const getBackends = (): Promise<IBackends> =>
  requestAPI<IBackends>('backends');

export const listPools = async (): Promise<IPool[]> =>
  (await requestAPI<{ clusters: IPool[] }>('clusters')).clusters;

export const createPool = (request: INewPool): Promise<IPool> =>
  requestAPI<IPool>('clusters', jsonBody('POST', request));

export const scalePool = (id: string, engines: number): Promise<IPool> =>
  requestAPI<IPool>(poolPath(id), jsonBody('PATCH', { engines }));

export const stopPool = (id: string): Promise<IPool> =>
  requestAPI<IPool>(poolPath(id), { method: 'DELETE' });

export const getSnippet = async (id: string): Promise<string> =>
  (await requestAPI<{ code: string }>(`${poolPath(id)}/snippet`)).code;

// --- Dataset holdings ------------------------------------------------------

export type HoldingState = 'missing' | 'indexing' | 'ready' | 'failed';

export interface IUnmatchedPath {
  path: string;
  reason: string;
}

/** A configured archive of datasets and the state of its index. */
export interface IHolding {
  name: string;
  description: string;
  root: string;
  drs: string;
  template: string;
  /** Facet names in DRS order. */
  facets: string[];
  /** Counts of the last index build (null until one exists). */
  files: number | null;
  datasets: number | null;
  unmatched: number | null;
  unmatched_paths: IUnmatchedPath[];
  last_refresh: string | null;
  refresh_seconds: number | null;
  state: HoldingState;
  error: string | null;
  /** Progress of the build under way, if any. */
  refresh: {
    started: string;
    folders?: number;
    files?: number;
    seconds?: number;
  } | null;
}

/** What a search asks for: values per facet (OR within, AND across), text, latest only. */
export interface ISelection {
  facets: Readonly<Record<string, readonly string[]>>;
  text: string;
  latest: boolean;
}

export interface IFacetValue {
  value: string;
  count: number;
  selected: boolean;
}

export interface IFacetCounts {
  total: number;
  facets: Record<string, IFacetValue[]>;
}

export type FacetValue = string | string[];

export interface IDatasetSummary {
  id: string;
  path: string;
  version: string;
  latest: boolean;
  file_count: number;
  size: number;
  start: string | null;
  end: string | null;
  facets: Record<string, FacetValue>;
}

export interface IDatasetPage {
  total: number;
  offset: number;
  limit: number;
  datasets: IDatasetSummary[];
}

export interface IDatasetFile {
  path: string;
  name: string;
  size: number;
  start: string | null;
  end: string | null;
  absolute_path: string;
}

export interface IDatasetVersion {
  id: string;
  version: string;
  latest: boolean;
  files: number;
  size: number;
}

export interface IDataset extends IDatasetSummary {
  files: IDatasetFile[];
  versions: IDatasetVersion[];
}

export type AttributeValue =
  | string
  | number
  | boolean
  | null
  | AttributeValue[]
  | { [key: string]: AttributeValue };

export interface ICoordinate {
  name: string;
  dims: string[];
  size: number;
  dtype: string;
  units: string | null;
  calendar: string | null;
  min: number | string | null;
  max: number | string | null;
}

export interface IVariable {
  name: string;
  dims: string[];
  shape: number[];
  dtype: string;
  units: string | null;
  long_name: string | null;
  standard_name: string | null;
  /** Whether it is another variable's cell bounds (time_bnds, lat_bnds…). */
  bounds: boolean;
}

export interface IDatasetMetadata {
  id: string;
  dimensions: Record<string, number>;
  coordinates: ICoordinate[];
  variables: IVariable[];
  attributes: Record<string, AttributeValue>;
  files_read: number;
}

const holdingPath = (name: string): string =>
  `holdings/${encodeURIComponent(name)}`;

const datasetPath = (holding: string, id: string): string =>
  `${holdingPath(holding)}/datasets/${encodeURIComponent(id)}`;

/** The query string of a selection (facet=value repeated, q, latest). */
export function selectionQuery(
  selection: ISelection,
  extra: Record<string, string | number> = {}
): string {
  const query = new URLSearchParams();
  for (const [facet, values] of Object.entries(selection.facets)) {
    for (const value of values) {
      query.append(facet, value);
    }
  }
  if (selection.text.trim()) {
    query.set('q', selection.text.trim());
  }
  query.set('latest', String(selection.latest));
  for (const [key, value] of Object.entries(extra)) {
    query.set(key, String(value));
  }
  return query.toString();
}

export const listHoldings = async (): Promise<IHolding[]> =>
  (await requestAPI<{ holdings: IHolding[] }>('holdings')).holdings;

export const getHolding = (name: string): Promise<IHolding> =>
  requestAPI<IHolding>(holdingPath(name));

export const refreshHolding = (name: string, full = false): Promise<IHolding> =>
  requestAPI<IHolding>(
    `${holdingPath(name)}/refresh`,
    full ? jsonBody('POST', { full }) : { method: 'POST' }
  );

export const getFacetCounts = (
  holding: string,
  selection: ISelection,
  signal?: AbortSignal
): Promise<IFacetCounts> =>
  requestAPI<IFacetCounts>(
    `${holdingPath(holding)}/facets?${selectionQuery(selection)}`,
    { signal }
  );

export const getDatasetPage = (
  holding: string,
  selection: ISelection,
  offset: number,
  limit: number,
  signal?: AbortSignal
): Promise<IDatasetPage> =>
  requestAPI<IDatasetPage>(
    `${holdingPath(holding)}/datasets?${selectionQuery(selection, {
      offset,
      limit
    })}`,
    { signal }
  );

export const getDataset = (holding: string, id: string): Promise<IDataset> =>
  requestAPI<IDataset>(datasetPath(holding, id));

export const getDatasetMetadata = (
  holding: string,
  id: string
): Promise<IDatasetMetadata> =>
  requestAPI<IDatasetMetadata>(`${datasetPath(holding, id)}/metadata`);

/** Code that opens the dataset with xarray, or maps over its files on a pool. */
export const getDatasetSnippet = async (
  holding: string,
  id: string,
  pool?: string
): Promise<string> =>
  (
    await requestAPI<{ code: string }>(
      `${datasetPath(holding, id)}/snippet${
        pool ? `?pool=${encodeURIComponent(pool)}` : ''
      }`
    )
  ).code;

/**
 * A quick-look picture of one variable at one time step, as a Blob. The
 * server answers errors as JSON, turned into a `JasminApiError` here.
 */
export async function getQuicklook(
  holding: string,
  id: string,
  variable: string | null,
  time: string | null,
  signal?: AbortSignal,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Blob> {
  const query = new URLSearchParams();
  if (variable) {
    query.set('variable', variable);
  }
  if (time) {
    query.set('time', time);
  }
  const url =
    URLExt.join(
      settings.baseUrl,
      'jasmin',
      'api',
      datasetPath(holding, id),
      'quicklook.png'
    ) + (query.toString() ? `?${query}` : '');
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, { signal }, settings);
  } catch (error) {
    throw new JasminApiError(
      `Cannot reach the Jupyter server (${String(error)})`,
      0
    );
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`.trim();
    try {
      const body = await response.json();
      if (body && typeof body.message === 'string') {
        message = body.message;
      }
    } catch {
      // not JSON: keep the status line
    }
    throw new JasminApiError(message, response.status);
  }
  return response.blob();
}
