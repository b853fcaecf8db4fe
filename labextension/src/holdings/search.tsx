/** The search: box, latest-versions toggle, chips of the selection, facets and results. */
import {
  Button,
  InputGroup,
  closeIcon,
  searchIcon
} from '@jupyterlab/ui-components';
import React, { useId } from 'react';
import { useTrans } from '../translation';
import { IHolding } from '../api';
import { HoldingsModel, hasIndex } from '../holdings-model';
import { Facets } from './facets';
import { Results } from './results';
import { IProps, SEARCH_FIELD_CLASS } from './types';

export function Search({
  model,
  holding,
  openDataset,
  analysis
}: IProps & { holding: IHolding }): JSX.Element {
  const trans = useTrans();
  const latestId = useId();
  if (!hasIndex(holding)) {
    return (
      <div className="jp-JasminEmpty">
        <p>
          <strong>{trans.__('Index not built yet.')}</strong>
        </p>
        <p className="jp-JasminMuted">
          {holding.state === 'indexing'
            ? trans.__('The datasets can be searched once the first scan ends.')
            : trans.__(
                'Build the index to search the datasets of this holding.'
              )}
        </p>
      </div>
    );
  }
  return (
    <div
      className="jp-JasminSearch"
      role="search"
      aria-label={trans.__('Datasets')}
    >
      <InputGroup
        className={SEARCH_FIELD_CLASS}
        type="search"
        aria-label={trans.__('Search datasets')}
        placeholder={trans.__('Search datasets')}
        title={trans.__(
          'Words in the dataset id, e.g. MIROC6 Amon (every word must match)'
        )}
        value={model.text}
        rightIcon={searchIcon}
        spellCheck={false}
        autoComplete="off"
        onChange={event => model.setText(event.target.value)}
        onKeyDown={event => {
          if (event.key === 'Enter') {
            model.applyText();
          } else if (event.key === 'Escape' && model.text) {
            event.stopPropagation();
            model.setText('');
            model.applyText();
          }
        }}
      />
      <div className="jp-JasminField-checkbox jp-JasminSearch-latest">
        <input
          id={latestId}
          type="checkbox"
          checked={model.selection.latest}
          onChange={event => model.setLatest(event.target.checked)}
        />
        <label
          htmlFor={latestId}
          title={trans.__('Hide datasets superseded by a newer version')}
        >
          {trans.__('Latest versions only')}
        </label>
      </div>
      <Chips model={model} />
      <Facets model={model} holding={holding} />
      <Results
        model={model}
        holding={holding}
        openDataset={openDataset}
        analysis={analysis}
      />
    </div>
  );
}

function Chips({ model }: { model: HoldingsModel }): JSX.Element | null {
  const trans = useTrans();
  const chosen = model.chosen;
  const text = model.selection.text.trim();
  if (!chosen.length && !text) {
    return null;
  }
  return (
    <div className="jp-JasminChips">
      <ul
        className="jp-JasminChips-list"
        aria-label={trans.__('Selected filters')}
      >
        {text && (
          <li className="jp-JasminChip">
            <span className="jp-JasminChip-facet">{trans.__('text')}</span>
            <span className="jp-JasminChip-value">“{text}”</span>
            <button
              type="button"
              className="jp-JasminChip-remove"
              aria-label={trans.__('Remove search text %1', text)}
              title={trans.__('Clear the search text')}
              onClick={() => {
                model.setText('');
                model.applyText();
              }}
            >
              <closeIcon.react tag="span" elementSize="small" />
            </button>
          </li>
        )}
        {chosen.map(({ facet, value }) => (
          <li className="jp-JasminChip" key={`${facet}=${value}`}>
            <span className="jp-JasminChip-facet">{facet}</span>
            <span className="jp-JasminChip-value">{value}</span>
            <button
              type="button"
              className="jp-JasminChip-remove"
              aria-label={trans.__('Remove %1 %2', facet, value)}
              title={trans.__('Remove %1 = %2 from the search', facet, value)}
              onClick={() => model.setValue(facet, value, false)}
            >
              <closeIcon.react tag="span" elementSize="small" />
            </button>
          </li>
        ))}
      </ul>
      <Button
        small
        minimal
        className="jp-JasminChips-clear"
        title={trans.__('Remove every facet value and the search text')}
        onClick={() => model.clearAll()}
      >
        {trans.__('Clear all')}
      </Button>
    </div>
  );
}
