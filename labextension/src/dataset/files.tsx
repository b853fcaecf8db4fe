/** A dataset's files. */
import React, { useId } from 'react';
import { useTrans } from '../translation';
import { IDataset } from '../api';
import { formatBytes } from '../format';

export function Files({ dataset }: { dataset: IDataset }): JSX.Element {
  const trans = useTrans();
  const titleId = useId();
  return (
    <section className="jp-JasminDataset-section" aria-labelledby={titleId}>
      <h2 id={titleId}>{trans.__('Files (%1)', dataset.files.length)}</h2>
      <div className="jp-JasminTable-scroll">
        <table className="jp-JasminTable" aria-label={trans.__('Files')}>
          <thead>
            <tr>
              <th scope="col">{trans.__('Name')}</th>
              <th scope="col">{trans.__('Size')}</th>
              <th scope="col">{trans.__('Start')}</th>
              <th scope="col">{trans.__('End')}</th>
            </tr>
          </thead>
          <tbody>
            {dataset.files.map(file => (
              <tr key={file.path} title={file.absolute_path}>
                <th scope="row" className="jp-JasminTable-file">
                  {file.name}
                </th>
                <td className="jp-mod-number">{formatBytes(file.size)}</td>
                <td>{file.start ?? '–'}</td>
                <td>{file.end ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
