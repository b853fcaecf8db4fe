/**
 * The dataset view, a main-area tab per dataset: its id, versions, time range
 * and files; the metadata xarray reads (dimensions, coordinates, variables,
 * global attributes); a quick-look picture; and snippets that open it in a
 * notebook or analyse it on an engine pool. The metadata and the picture are
 * produced by the server's worker processes and load independently.
 */
import { DOMUtils, MainAreaWidget } from '@jupyterlab/apputils';
import { ToolbarButton, refreshIcon } from '@jupyterlab/ui-components';
import { TranslationBundle } from '@jupyterlab/translation';
import React from 'react';
import { WhileVisibleWidget } from '../visible';
import { TransProvider } from '../translation';
import { IPool } from '../api';
import { jasminIcon } from '../icon';
import { PoolsModel } from '../model';
import { SnippetTarget } from '../snippets';
import { shortDatasetId } from './names';
import { DatasetPage } from './page';

/** Pools a snippet can use now. */
function runningPools(pools: readonly IPool[]): IPool[] {
  return pools.filter(p => p.state === 'running' || p.state === 'degraded');
}

export interface IDatasetViewOptions {
  holding: string;
  id: string;
  target: SnippetTarget;
  pools: PoolsModel;
  /** The bundle the view's strings are translated with. */
  trans?: TranslationBundle;
  /** Open another dataset (another version) of the same holding. */
  openDataset: (holding: string, id: string) => void;
}

/** The content of a dataset's tab. */
export class DatasetView extends WhileVisibleWidget {
  constructor(private readonly options: IDatasetViewOptions) {
    super(options.trans);
    this._holding = options.holding;
    this._datasetId = options.id;
    this.addClass('jp-JasminDataset');
    this.setTitle();
    this.title.icon = jasminIcon;
    this.title.closable = true;
    options.target.changed.connect(this.update, this);
    options.pools.changed.connect(this.update, this);
  }

  /** The holding of the dataset shown. */
  get holding(): string {
    return this._holding;
  }

  /** The id of the dataset shown. */
  get datasetId(): string {
    return this._datasetId;
  }

  /** Show another dataset in this tab (the tab is reused, not another opened). */
  showDataset(holding: string, id: string): void {
    if (holding === this._holding && id === this._datasetId) {
      return;
    }
    this._holding = holding;
    this._datasetId = id;
    this.setTitle();
    this.reload();
  }

  /** Fetch the dataset and its metadata again. */
  reload(): void {
    this._generation++;
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.options.pools.hide(this);
    this.options.target.changed.disconnect(this.update, this);
    this.options.pools.changed.disconnect(this.update, this);
    super.dispose();
  }

  /** The pool picker follows the pools model, polled while this tab shows. */
  protected resumeRefresh(): void {
    this.options.pools.show(this);
  }

  protected pauseRefresh(): void {
    this.options.pools.hide(this);
  }

  render(): JSX.Element {
    return (
      <TransProvider trans={this.trans}>
        <DatasetPage
          key={this._generation}
          holding={this.holding}
          id={this.datasetId}
          target={this.options.target}
          pools={runningPools(this.options.pools.pools)}
          onLoaded={dataset => {
            this.title.label = shortDatasetId(dataset.id, dataset.facets);
          }}
          openDataset={id => this.options.openDataset(this.holding, id)}
        />
      </TransProvider>
    );
  }

  /** The dataset's id until its short form is known (once it is read). */
  private setTitle(): void {
    this.title.label = this._datasetId;
    this.title.caption = this.trans.__(
      '%1 (holding %2)',
      this._datasetId,
      this._holding
    );
  }

  private _holding: string;
  private _datasetId: string;
  private _generation = 0;
}

/** A dataset's tab: its view in a main-area widget with a reload button. */
export function createDatasetWidget(
  options: IDatasetViewOptions
): MainAreaWidget<DatasetView> {
  const content = new DatasetView(options);
  const widget = new MainAreaWidget({ content });
  // unique: a tab's dataset changes when the tab is reused
  widget.id = DOMUtils.createDomID();
  widget.addClass('jp-JasminDatasetPanel');
  widget.toolbar.addItem(
    'reload',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: content.trans.__('Read the dataset and its metadata again'),
      onClick: () => content.reload()
    })
  );
  return widget;
}
