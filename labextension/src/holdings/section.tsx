/**
 * The "Holdings" section of the JASMIN panel: pick a holding, see the state
 * of its index, and find datasets ESGF-style — facets with counts, removable
 * chips for the selection, a search box, a latest-versions toggle and a page
 * of results. A result opens the dataset view in the main area.
 */
import { Toolbar } from '@jupyterlab/ui-components';
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { TransProvider, useTrans } from '../translation';
import { refreshToolbar } from '../panel';
import { WhileVisibleWidget } from '../visible';
import { Alert, Busy } from '../feedback';
import { HoldingsModel } from '../holdings-model';
import { IAnalysis } from '../analyse-selection';
import { HoldingPicker } from './picker';
import { Search } from './search';
import { HoldingStatus } from './status';
import { IProps, OpenDataset, SEARCH_FIELD_CLASS } from './types';

/** The "Holdings" section: a widget for the JASMIN side panel. */
export class HoldingsSection extends WhileVisibleWidget {
  constructor(
    readonly model: HoldingsModel,
    private readonly openDataset: OpenDataset,
    private readonly analysis?: IAnalysis,
    trans?: TranslationBundle
  ) {
    super(trans);
    this.id = 'jasmin-holdings';
    this.addClass('jp-JasminSection');
    this.addClass('jp-JasminHoldings');
    this.title.label = this.trans.__('Holdings');
    this.title.caption = this.trans.__(
      'Datasets in the archives this server indexes'
    );

    this.toolbar = refreshToolbar(
      this.trans.__('Refresh holdings and search results'),
      () => this.refresh()
    );
    model.changed.connect(this.update, this);
  }

  /** Shown in the section's title bar. */
  readonly toolbar: Toolbar;

  refresh(): Promise<void> {
    return this.model.refresh();
  }

  /** Put the keyboard focus in the search box; false if it is not shown (yet). */
  focusSearch(): boolean {
    const field = this.node.querySelector<HTMLInputElement>(
      `.${SEARCH_FIELD_CLASS} input`
    );
    if (!field || !this.isVisible) {
      return false;
    }
    field.focus();
    field.select();
    field.scrollIntoView({ block: 'nearest' });
    return document.activeElement === field;
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
        <Holdings
          model={this.model}
          openDataset={this.openDataset}
          analysis={this.analysis}
        />
      </TransProvider>
    );
  }
}

function Holdings({ model, openDataset, analysis }: IProps): JSX.Element {
  const trans = useTrans();
  if (!model.loaded) {
    return (
      <div className="jp-JasminHoldings-body">
        {model.listError ? (
          <Alert>{model.listError}</Alert>
        ) : (
          <Busy text="Loading holdings…" />
        )}
      </div>
    );
  }
  const holding = model.current;
  if (!holding) {
    return (
      <div className="jp-JasminHoldings-body">
        <div className="jp-JasminEmpty">
          <p>
            <strong>{trans.__('No holdings configured.')}</strong>
          </p>
          <p className="jp-JasminMuted">
            {trans.__('An administrator lists the archives to index in')}{' '}
            {/* eslint-disable-next-line jupyter/no-untranslated-string -- a setting's name */}
            <code>c.Jasmin.holdings</code>.
          </p>
        </div>
      </div>
    );
  }
  return (
    <div className="jp-JasminHoldings-body">
      <HoldingPicker model={model} holding={holding} />
      <HoldingStatus model={model} holding={holding} />
      {model.listError && <Alert>{model.listError}</Alert>}
      <Search
        model={model}
        holding={holding}
        openDataset={openDataset}
        analysis={analysis}
      />
    </div>
  );
}
