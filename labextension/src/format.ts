/** Numbers as a person reads them in a narrow sidebar. */

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
