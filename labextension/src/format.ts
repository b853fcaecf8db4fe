/** Values as a person reads them in a narrow sidebar. */
import type { IDatasetVersion, IEngine } from './api';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 25276502016 → "23.5 GiB" (or "24 GiB" with no decimals). */
export function formatBytes(
  bytes: number | null | undefined,
  decimals = 1
): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) {
    return '–';
  }
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : decimals;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** 12.345 → "12%", null → "–". */
export function formatPercent(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) {
    return '–';
  }
  return `${percent < 10 ? percent.toFixed(1) : percent.toFixed(0)}%`;
}

/** [0.08, 0.2, 0.17] → "0.08 0.20 0.17". */
export function formatLoad(load: readonly number[]): string {
  return load.length ? load.map(value => value.toFixed(2)).join(' ') : '–';
}

/** (1, 'dataset') → "1 dataset", (42, 'dataset') → "42 datasets". */
export function plural(count: number, singular: string, several?: string): string {
  return `${count.toLocaleString()} ${count === 1 ? singular : several ?? `${singular}s`}`;
}

/** ("1950-01", "2014-12") → "1950-01 – 2014-12"; nothing known → "–". */
export function formatTimeRange(
  start: string | null | undefined,
  end: string | null | undefined
): string {
  if (!start && !end) {
    return '–';
  }
  if (start === end) {
    return String(start);
  }
  return `${start ?? '?'} – ${end ?? '?'}`;
}

/** "2026-11-25T08:25:13Z" → "25 Nov 2026, 08:25" in the browser's time zone. */
export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) {
    return '–';
  }
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) {
    return iso;
  }
  return date.toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short'
  });
}

/** A coordinate bound or attribute number, short: 92500 → "92500", 87.538705 → "87.5387". */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) {
    return '–';
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value)) {
      return String(value);
    }
    return Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3
      ? value.toExponential(4)
      : String(Number(value.toPrecision(6)));
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** A netCDF attribute in a table cell: empty when the file has none. */
export function formatCell(value: unknown): string {
  return value === null || value === undefined ? '' : formatValue(value);
}

/** Where an engine runs, "host:pid"; "locating…" until a registered engine has said. */
export function formatEngineProcess({
  host,
  pid,
  state
}: Pick<IEngine, 'host' | 'pid' | 'state'>): string {
  if (host === null && pid === null) {
    return state === 'running' ? 'locating…' : '–';
  }
  return `${host ?? '–'}:${pid ?? '–'}`;
}

/** A dataset's version, or what it is when its holding's DRS has no version level. */
export function formatVersion(version: IDatasetVersion['version']): string {
  return version ?? 'unversioned';
}
