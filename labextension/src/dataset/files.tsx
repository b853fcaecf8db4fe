/** A dataset's files. */
import React, { useId } from 'react';
import { IDataset } from '../api';
import { formatBytes } from '../format';

export function Files({ dataset }: { dataset: IDataset }): JSX.Element {
  const titleId = useId();
  return (
    <section className="jp-JasminDataset-section" aria-labelledby={titleId}>
      <h2 id={titleId}>Files ({dataset.files.length})</h2>
      <div className="jp-JasminTable-scroll">
        <table className="jp-JasminTable" aria-label="Files">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Size</th>
              <th scope="col">Start</th>
              <th scope="col">End</th>
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
