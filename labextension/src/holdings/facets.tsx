/** Facets with their counts, each a group of values to select. */
import {
  Button,
  caretDownIcon,
  caretRightIcon
} from '@jupyterlab/ui-components';
import React, { useId, useState } from 'react';
import { useTrans } from '../translation';
import { IFacetValue, IHolding } from '../api';
import { HoldingsModel } from '../holdings-model';

/** Values a facet group lists before "Show all". */
const FACET_PREVIEW = 8;

export function Facets({
  model,
  holding
}: {
  model: HoldingsModel;
  holding: IHolding;
}): JSX.Element | null {
  const trans = useTrans();
  const counts = model.facetCounts;
  if (!counts) {
    return null;
  }
  return (
    <div
      className="jp-JasminFacets"
      role="group"
      aria-label={trans.__('Facets')}
    >
      {holding.facets.map(facet => (
        <FacetGroup
          key={`${holding.name}/${facet}`}
          model={model}
          facet={facet}
          values={counts.facets[facet] ?? []}
        />
      ))}
    </div>
  );
}

function FacetGroup({
  model,
  facet,
  values
}: {
  model: HoldingsModel;
  facet: string;
  values: IFacetValue[];
}): JSX.Element {
  const trans = useTrans();
  const id = useId();
  const [open, setOpen] = useState(false);
  const [showAll, setShowAll] = useState(false);
  // what the user chose, at once (the counts follow from the server)
  const chosen = new Set(model.selection.facets[facet] ?? []);
  const selected = chosen.size;
  const shown =
    showAll || values.length <= FACET_PREVIEW + 2
      ? values
      : values.filter((v, i) => i < FACET_PREVIEW || chosen.has(v.value));
  return (
    <div className={`jp-JasminFacet${selected ? ' jp-mod-selected' : ''}`}>
      <button
        type="button"
        className="jp-JasminFacet-toggle"
        aria-expanded={open}
        aria-controls={id}
        title={trans.__('%1 the values of %2', open ? 'Hide' : 'Show', facet)}
        onClick={() => setOpen(!open)}
      >
        {open ? (
          <caretDownIcon.react tag="span" elementSize="small" />
        ) : (
          <caretRightIcon.react tag="span" elementSize="small" />
        )}
        <span className="jp-JasminFacet-name">{facet}</span>
        <span className="jp-JasminFacet-summary" aria-hidden="true">
          {selected ? `${selected} of ${values.length}` : values.length}
        </span>
      </button>
      {open && (
        <div id={id}>
          <ul
            className="jp-JasminFacet-values"
            aria-label={trans.__('%1 values', facet)}
          >
            {shown.map(v => (
              <FacetValue
                key={v.value}
                model={model}
                facet={facet}
                value={v}
                checked={chosen.has(v.value)}
              />
            ))}
          </ul>
          {shown.length < values.length || showAll ? (
            <Button
              small
              minimal
              className="jp-JasminFacet-more"
              aria-label={
                showAll
                  ? trans.__('Show fewer %1 values', facet)
                  : trans.__('Show all %1 %2 values', values.length, facet)
              }
              onClick={() => setShowAll(!showAll)}
            >
              {showAll
                ? trans.__('Show fewer')
                : trans.__('Show all %1', values.length)}
            </Button>
          ) : null}
        </div>
      )}
    </div>
  );
}

/** One value of a facet, with its count, to select or unselect. */
function FacetValue({
  model,
  facet,
  value: v,
  checked
}: {
  model: HoldingsModel;
  facet: string;
  value: IFacetValue;
  checked: boolean;
}): JSX.Element {
  const trans = useTrans();
  return (
    <li>
      <label
        className={`jp-JasminFacet-value${v.count === 0 ? ' jp-mod-empty' : ''}`}
        title={trans.__(
          '%1 %2 with %3 = %4',
          v.count,
          v.count === 1 ? 'dataset' : 'datasets',
          facet,
          v.value
        )}
      >
        <input
          type="checkbox"
          checked={checked}
          aria-label={`${facet} ${v.value} (${v.count})`}
          onChange={event =>
            model.setValue(facet, v.value, event.target.checked)
          }
        />
        <span className="jp-JasminFacet-label">{v.value}</span>
        <span className="jp-JasminFacet-count">{v.count}</span>
      </label>
    </li>
  );
}
