/** What a dataset is called: its tab's title, and its main variable. */
import { FacetValue, IDataset } from '../api';

/** Facets that name who published a dataset rather than what it is. */
const PUBLISHER_FACETS = new Set([
  'mip_era',
  'activity_id',
  'institution_id',
  'project',
  'product',
  'institute'
]);

/** Facets whose value names a dataset's variable. */
const VARIABLE_FACETS = ['variable_id', 'variable', 'short_name'];

/**
 * The tab title of a dataset: its id without the leading publisher facets,
 * "CMIP6.CMIP.MIROC.MIROC6.historical…" → "MIROC6.historical…".
 */
export function shortDatasetId(
  id: string,
  facets?: Record<string, FacetValue>
): string {
  if (!facets) {
    return id;
  }
  let short = id;
  for (const [name, value] of Object.entries(facets)) {
    if (
      !PUBLISHER_FACETS.has(name) ||
      typeof value !== 'string' ||
      !short.startsWith(`${value}.`)
    ) {
      break;
    }
    short = short.slice(value.length + 1);
  }
  return short || id;
}

export function guessVariable(dataset: IDataset): string | null {
  for (const facet of VARIABLE_FACETS) {
    const value = dataset.facets[facet];
    if (typeof value === 'string' && value) {
      return value;
    }
  }
  return null;
}
