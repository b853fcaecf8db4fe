/**
 * The JupyterLab plugin: the JASMIN side panel in the left area and its
 * commands (open the panel, start a new pool, refresh).
 */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { refreshIcon } from '@jupyterlab/ui-components';

import { jasminIcon } from './icon';
import { PoolsModel } from './model';
import { JasminPanel } from './panel';
import { EnginePoolsSection } from './pools';
import { SnippetTarget } from './snippets';

export namespace CommandIDs {
  export const openPanel = 'jasmin:open-panel';
  export const newPool = 'jasmin:new-pool';
  export const refresh = 'jasmin:refresh';
}

const CATEGORY = 'JASMIN';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-jasmin:plugin',
  description:
    'JASMIN side panel: ipyparallel engine pools on this VM, and their snippets for notebooks.',
  autoStart: true,
  optional: [ICommandPalette, INotebookTracker, ILayoutRestorer],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    restorer: ILayoutRestorer | null
  ) => {
    const target = new SnippetTarget(app, notebooks);
    const pools = new EnginePoolsSection(new PoolsModel(), target);
    const panel = new JasminPanel();
    panel.addSection(pools);
    app.shell.add(panel, 'left', { rank: 950 });
    restorer?.add(panel, panel.id);

    const { commands } = app;
    commands.addCommand(CommandIDs.openPanel, {
      label: 'Open JASMIN panel',
      caption: 'Show the JASMIN panel in the left sidebar',
      icon: args => (args.isPalette ? undefined : jasminIcon),
      execute: () => {
        app.shell.activateById(panel.id);
      }
    });
    commands.addCommand(CommandIDs.newPool, {
      label: 'New engine pool',
      caption: 'Open the JASMIN panel at the New pool form',
      execute: () => {
        app.shell.activateById(panel.id);
        panel.expandSection(pools);
        // the form is in the DOM once the panel has been laid out
        requestAnimationFrame(() => pools.focusNewPoolForm());
      }
    });
    commands.addCommand(CommandIDs.refresh, {
      label: 'Refresh JASMIN panel',
      caption: 'Fetch the pools and resources shown in the JASMIN panel now',
      icon: args => (args.isPalette ? undefined : refreshIcon),
      execute: () => panel.refresh()
    });

    if (palette) {
      for (const command of Object.values(CommandIDs)) {
        palette.addItem({ command, category: CATEGORY });
      }
    }
  }
};

export default plugin;
