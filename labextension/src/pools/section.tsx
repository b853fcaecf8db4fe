/**
 * The "Engine pools" section of the JASMIN panel: this VM's resources, the
 * user's engine pools (with their engines, and for batch pools their jobs), a
 * form to start a new pool, and per pool the actions the server allows
 * (`pool.actions`): scale, stop or dismiss, insert and copy the snippet.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Toolbar } from '@jupyterlab/ui-components';
import React from 'react';
import { refreshToolbar } from '../panel';
import { TransProvider } from '../translation';
import { WhileVisibleWidget } from '../visible';
import { Alert } from '../feedback';
import { PoolsModel } from '../model';
import { NewPoolForm } from './new-pool';
import { NAME_FIELD_CLASS } from './new-pool-draft';
import { SnippetTarget } from '../snippets';
import { PoolList } from './pool-list';
import { ResourcesLine } from './resources-line';

/** The "Engine pools" section: a widget for the JASMIN side panel. */
export class EnginePoolsSection extends WhileVisibleWidget {
  constructor(
    readonly model: PoolsModel,
    private readonly target: SnippetTarget,
    trans?: TranslationBundle
  ) {
    super(trans);
    this.id = 'jasmin-engine-pools';
    this.addClass('jp-JasminSection');
    this.addClass('jp-JasminPools');
    this.title.label = this.trans.__('Engine pools');
    this.title.caption = this.trans.__(
      'ipyparallel engine pools on this VM and in batch jobs'
    );

    this.toolbar = refreshToolbar(this.trans.__('Refresh engine pools'), () =>
      this.refresh()
    );

    model.changed.connect(this.update, this);
    target.changed.connect(this.update, this);
  }

  /** Shown in the section's title bar. */
  readonly toolbar: Toolbar;

  /** Fetch pools, resources and backends now. */
  refresh(): Promise<void> {
    return this.model.refresh();
  }

  /** Put the keyboard focus in the New pool form's first field. */
  focusNewPoolForm(): void {
    const field = this.node.querySelector<HTMLInputElement>(
      `.${NAME_FIELD_CLASS}`
    );
    field?.focus();
    field?.scrollIntoView({ block: 'nearest' });
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.hide(this);
    this.model.changed.disconnect(this.update, this);
    this.target.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected resumeRefresh(): void {
    this.model.show(this);
    // what a batch scheduler offers (partitions, accounts) is learnt by the
    // server in the background and may have changed since last shown
    void this.model.refreshBackends();
  }

  protected pauseRefresh(): void {
    this.model.hide(this);
  }

  render(): JSX.Element {
    return (
      <TransProvider trans={this.trans}>
        <EnginePools model={this.model} target={this.target} />
      </TransProvider>
    );
  }
}

export interface ISectionProps {
  model: PoolsModel;
  target: SnippetTarget;
}

function EnginePools({ model, target }: ISectionProps): JSX.Element {
  const backends = model.backends;
  return (
    <div className="jp-JasminPools-body">
      <ResourcesLine resources={model.resources} />
      {model.connectionError && <Alert>{model.connectionError}</Alert>}
      <PoolList model={model} target={target} />
      <NewPoolForm model={model} backends={backends} />
    </div>
  );
}
