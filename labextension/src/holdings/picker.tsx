/** The holding searched, chosen among those the server indexes. */
import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useId } from 'react';
import { useTrans } from '../translation';
import { IHolding } from '../api';
import { HoldingsModel } from '../holdings-model';

function holdingLabel(holding: IHolding, trans: TranslationBundle): string {
  if (holding.datasets === null) {
    return holding.state === 'indexing'
      ? trans.__('%1 (indexing)', holding.name)
      : trans.__('%1 (no index)', holding.name);
  }
  const files = holding.files ?? 0;
  return trans.__(
    '%1 (%2, %3)',
    holding.name,
    trans._n(
      '%2 dataset',
      '%2 datasets',
      holding.datasets,
      holding.datasets.toLocaleString()
    ),
    trans._n('%2 file', '%2 files', files, files.toLocaleString())
  );
}

export function HoldingPicker({
  model,
  holding
}: {
  model: HoldingsModel;
  holding: IHolding;
}): JSX.Element {
  const trans = useTrans();
  const id = useId();
  return (
    <div className="jp-JasminField jp-JasminHoldings-picker">
      <label htmlFor={id}>{trans.__('Holding')}</label>
      <HTMLSelect
        id={id}
        aria-label={trans.__('Holding')}
        value={holding.name}
        title={holding.description || holding.root}
        onChange={event => model.selectHolding(event.target.value)}
        options={model.holdings.map(h => ({
          value: h.name,
          label: holdingLabel(h, trans)
        }))}
      />
    </div>
  );
}
