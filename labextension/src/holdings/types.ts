/** What the parts of the Holdings section share. */
import { IDatasetSummary } from '../api';
import { HoldingsModel } from '../holdings-model';
import { IAnalysis } from '../analyse-selection';

export const SEARCH_FIELD_CLASS = 'jp-JasminSearch-input';

/**
 * Open a dataset of a holding in the main area: in the dataset tab already
 * open (its content replaced), or in a new tab when `newTab`.
 */
export type OpenDataset = (
  holding: string,
  dataset: IDatasetSummary,
  newTab?: boolean
) => void;

export interface IProps {
  model: HoldingsModel;
  openDataset: OpenDataset;
  analysis?: IAnalysis;
}
