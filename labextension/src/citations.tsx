/**
 * The "Data used" section of the JASMIN panel: the datasets the kernel of the
 * notebook in focus opened or mapped through the holdings API, and a button
 * that copies them as the list `jupyter_jasmin.citations()` prints, for a
 * paper's data statement.
 */
import { Clipboard, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Button, Toolbar } from '@jupyterlab/ui-components';
import React, { useId } from 'react';

import { TransProvider, useTrans } from './translation';
import { ICitation } from './api';
import { CitationsModel } from './citations-model';
import { describeCitation, emptyMessage } from './citations-text';
import { Alert } from './feedback';
import { refreshToolbar } from './panel';
import { WhileVisibleWidget } from './visible';

export class CitationsSection extends WhileVisibleWidget {
  constructor(
    readonly model: CitationsModel,
    trans?: TranslationBundle
  ) {
    super(trans);
    this.id = 'jasmin-citations';
    this.addClass('jp-JasminSection');
    this.addClass('jp-JasminCitations');
    this.title.label = this.trans.__('Data used');
    this.title.caption = this.trans.__(
      'Datasets the kernel of the notebook in focus opened or mapped, for a data statement'
    );
    this.toolbar = refreshToolbar(this.trans.__('Refresh the data used'), () =>
      this.refresh()
    );
    model.changed.connect(this.update, this);
  }

  /** Shown in the section's title bar. */
  readonly toolbar: Toolbar;

  refresh(): Promise<void> {
    return this.model.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected resumeRefresh(): void {
    this.model.resume();
  }

  protected pauseRefresh(): void {
    this.model.pause();
  }

  render(): JSX.Element {
    return (
      <TransProvider trans={this.trans}>
        <DataUsed model={this.model} />
      </TransProvider>
    );
  }
}

function DataUsed({ model }: { model: CitationsModel }): JSX.Element {
  const trans = useTrans();
  const headingId = useId();
  const { notebook, citations, error } = model;
  const datasets = citations?.datasets ?? [];
  const copy = (): void => {
    if (citations) {
      Clipboard.copyToSystem(citations.text);
      Notification.success('Citations copied', { autoClose: 3000 });
    }
  };
  return (
    <div className="jp-JasminCitations-body">
      {error && <Alert>{error}</Alert>}
      {notebook && (
        <p className="jp-JasminMuted" id={headingId}>
          {trans.__('Used by')} {notebook}
        </p>
      )}
      {datasets.length === 0 ? (
        <p className="jp-JasminMuted">
          {emptyMessage(notebook, model.kernelId !== null)}
        </p>
      ) : (
        <ul className="jp-JasminCitations-list" aria-labelledby={headingId}>
          {datasets.map(citation => (
            <CitationItem
              key={`${citation.holding}/${citation.id}`}
              citation={citation}
            />
          ))}
        </ul>
      )}
      <Button
        small
        className="jp-mod-styled"
        aria-label={trans.__('Copy citations')}
        title={trans.__(
          "Copy the datasets used, as a list for a paper's data statement"
        )}
        disabled={datasets.length === 0}
        onClick={copy}
      >
        {trans.__('Copy citations')}
      </Button>
    </div>
  );
}

function CitationItem({ citation }: { citation: ICitation }): JSX.Element {
  return (
    <li className="jp-JasminCitation" title={citation.tracking_ids.join('\n')}>
      <span className="jp-JasminCitation-id">{citation.id}</span>
      <span className="jp-JasminMuted">{describeCitation(citation)}</span>
    </li>
  );
}
