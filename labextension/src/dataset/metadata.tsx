/** The metadata xarray reads: dimensions, coordinates, variables, global attributes. */
import React, { useId } from 'react';
import { useTrans } from '../translation';
import { Alert, Busy } from '../feedback';
import { AttributeValue, IDatasetMetadata } from '../api';
import { formatCell, formatValue } from '../format';
import { Loading } from './fetch';

export function Metadata({
  metadata
}: {
  metadata: Loading<IDatasetMetadata>;
}): JSX.Element {
  const trans = useTrans();
  const titleId = useId();
  return (
    <section className="jp-JasminDataset-section" aria-labelledby={titleId}>
      <h2 id={titleId}>{trans.__('Metadata')}</h2>
      {metadata.state === 'loading' && <Busy text="Reading metadata…" />}
      {metadata.state === 'failed' && <Alert>{metadata.error}</Alert>}
      {metadata.state === 'done' && (
        <MetadataBody metadata={metadata.value} ms={metadata.ms} />
      )}
    </section>
  );
}

function MetadataBody({
  metadata,
  ms
}: {
  metadata: IDatasetMetadata;
  ms: number;
}): JSX.Element {
  const trans = useTrans();
  return (
    <>
      <h3>{trans.__('Dimensions')}</h3>
      <ul
        className="jp-JasminDataset-dimensions"
        aria-label={trans.__('Dimensions')}
      >
        {Object.entries(metadata.dimensions).map(([name, size]) => (
          <li key={name}>
            <span className="jp-JasminChip-facet">{name}</span>{' '}
            <span className="jp-JasminChip-value">{size}</span>
          </li>
        ))}
      </ul>
      <h3>{trans.__('Coordinates')}</h3>
      <CoordinateTable coordinates={metadata.coordinates} />
      <h3>{trans.__('Data variables')}</h3>
      <VariableTable variables={metadata.variables} />
      <AttributeTable attributes={metadata.attributes} />
      <p className="jp-JasminMuted">
        {trans._n(
          'Read from %2 file in %3 s.',
          'Read from %2 files in %3 s.',
          metadata.files_read,
          metadata.files_read.toLocaleString(),
          (ms / 1000).toFixed(1)
        )}
      </p>
    </>
  );
}

/** A table with a header row and a horizontal scroll of its own. */
function Table({
  label,
  columns,
  children
}: {
  label: string;
  columns: string[];
  children: React.ReactNode;
}): JSX.Element {
  return (
    <div className="jp-JasminTable-scroll">
      <table className="jp-JasminTable" aria-label={label}>
        <thead>
          <tr>
            {columns.map(column => (
              <th scope="col" key={column}>
                {column}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

const COORDINATE_COLUMNS = [
  'Name',
  'Dimensions',
  'Size',
  'Type',
  'Range',
  'Units',
  'Calendar'
];

function CoordinateTable({
  coordinates
}: {
  coordinates: IDatasetMetadata['coordinates'];
}): JSX.Element {
  const trans = useTrans();
  return (
    <Table label={trans.__('Coordinates')} columns={COORDINATE_COLUMNS}>
      {coordinates.map(c => (
        <tr key={c.name}>
          <th scope="row">{c.name}</th>
          <td>{c.dims.join(', ')}</td>
          <td className="jp-mod-number">{c.size}</td>
          <td>{c.dtype}</td>
          <td>
            {c.min === undefined
              ? '–'
              : `${formatValue(c.min)} – ${formatValue(c.max)}`}
          </td>
          <td>{formatCell(c.units)}</td>
          <td>{formatCell(c.calendar)}</td>
        </tr>
      ))}
    </Table>
  );
}

const VARIABLE_COLUMNS = [
  'Name',
  'Dimensions',
  'Shape',
  'Type',
  'Units',
  'long_name',
  'standard_name'
];

function VariableTable({
  variables
}: {
  variables: IDatasetMetadata['variables'];
}): JSX.Element {
  const trans = useTrans();
  return (
    <Table label={trans.__('Data variables')} columns={VARIABLE_COLUMNS}>
      {variables.map(v => (
        <tr
          key={v.name}
          className={v.bounds ? 'jp-JasminTable-bounds' : undefined}
          title={v.bounds ? trans.__('Cell bounds of a coordinate') : undefined}
        >
          <th scope="row">
            {v.name}
            {v.bounds && (
              <span className="jp-JasminMuted"> {trans.__('(bounds)')}</span>
            )}
          </th>
          <td>{v.dims.join(', ')}</td>
          <td className="jp-mod-number">{v.shape.join(' × ')}</td>
          <td>{v.dtype}</td>
          <td>{formatCell(v.units)}</td>
          <td>{formatCell(v.long_name)}</td>
          <td>{formatCell(v.standard_name)}</td>
        </tr>
      ))}
    </Table>
  );
}

function AttributeTable({
  attributes
}: {
  attributes: IDatasetMetadata['attributes'];
}): JSX.Element {
  const trans = useTrans();
  const names = Object.keys(attributes);
  return (
    <details className="jp-JasminDetails jp-JasminAttributes">
      <summary>{trans.__('Global attributes (%1)', names.length)}</summary>
      <div className="jp-JasminTable-scroll">
        <table
          className="jp-JasminTable"
          aria-label={trans.__('Global attributes')}
        >
          <tbody>
            {names.map(name => (
              <tr key={name}>
                <th scope="row">{name}</th>
                <td className="jp-JasminAttributes-value">
                  {attributeText(attributes[name])}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

function attributeText(value: AttributeValue): string {
  return typeof value === 'string' ? value : formatValue(value);
}
