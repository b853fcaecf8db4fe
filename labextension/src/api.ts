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
