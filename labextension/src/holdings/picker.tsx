/** The holding searched, chosen among those the server indexes. */
import { HTMLSelect } from '@jupyterlab/ui-components';
import React, { useId } from 'react';
import { useTrans } from '../translation';
import { IHolding } from '../api';
import { plural } from '../format';
import { HoldingsModel } from '../holdings-model';

function holdingLabel(holding: IHolding): string {
  if (holding.datasets === null) {
    return `${holding.name} (${
      holding.state === 'indexing' ? 'indexing' : 'no index'
    })`;
  }
  return `${holding.name} (${plural(holding.datasets, 'dataset')}, ${plural(
    holding.files ?? 0,
    'file'
  )})`;
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
          label: holdingLabel(h)
        }))}
      />
    </div>
  );
}
