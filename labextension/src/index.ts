/**
 * The JupyterLab plugin: the JASMIN side panel in the left area (sections
 * "Engine pools", "Holdings" and "Data used"), the dataset tabs of the main area, and
 * their commands.
 */
// the panel is built at activation: its modules are needed at once
/* eslint-disable jupyter/prefer-lazy-imports */
import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ITranslator } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';

import { CitationsSection } from './citations';
import { CitationsModel } from './citations-model';
import { DatasetView, createDatasetWidget } from './dataset/widget';
import { HoldingsSection } from './holdings/section';
import { HoldingsModel } from './holdings-model';
import { jasminIcon } from './icon';
import { PoolsModel } from './model';
import { JasminPanel } from './panel';
import { EnginePoolsSection } from './pools/section';
import { SnippetTarget } from './snippets';
import { loadTrans } from './translation';

/** Commands offered in the command palette. */
export namespace CommandIDs {
  export const openPanel = 'jasmin:open-panel';
  export const newPool = 'jasmin:new-pool';
  export const searchHoldings = 'jasmin:search-holdings';
  export const refresh = 'jasmin:refresh';
}

/**
 * Shows a dataset; args `{holding, id, newTab?}` (not in the palette). The
 * dataset tab in use is reused (its content replaced) unless `newTab`.
 */
export const OPEN_DATASET = 'jasmin:open-dataset';

/** Opens the dataset of the result under the context menu in a new tab. */
export const OPEN_DATASET_NEW_TAB = 'jasmin:open-dataset-new-tab';

/** The element of a result that opens its dataset (its data attributes name it). */
const RESULT_SELECTOR = '.jp-JasminResult-open';

const CATEGORY = 'JASMIN';

/** What the commands without arguments are described by. */
const NO_ARGS = { args: { type: 'object' as const, properties: {} } };

/** The arguments of `OPEN_DATASET`. */
const DATASET_ARGS = {
  args: {
    type: 'object' as const,
    properties: {
      holding: { type: 'string' as const, description: 'The holding' },
      id: { type: 'string' as const, description: 'The dataset id' },
      newTab: {
        type: 'boolean' as const,
        description: 'Open it in a new tab, not in the dataset tab in use'
      }
    },
    required: ['holding', 'id']
  }
};

interface IDatasetArgs {
  holding: string;
  id: string;
  newTab: boolean;
}

function datasetArgs(args: Record<string, unknown>): IDatasetArgs {
  const { holding, id, newTab } = args;
  if (typeof holding !== 'string' || typeof id !== 'string') {
    throw new Error(`${OPEN_DATASET} needs the holding and the dataset id`);
  }
  return { holding, id, newTab: newTab === true };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-jasmin:plugin',
  description:
    'JASMIN side panel: ipyparallel engine pools on this VM, dataset holdings with a facet search, and their snippets for notebooks.',
  autoStart: true,
  optional: [ICommandPalette, INotebookTracker, ILayoutRestorer, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null
  ) => {
    const { commands, shell } = app;
    const trans = loadTrans(translator);
    const target = new SnippetTarget(app, notebooks);
    // the models (and their polls) belong to the plugin: the views only show them
    const poolsModel = new PoolsModel();
    const holdingsModel = new HoldingsModel();
    const citationsModel = notebooks ? new CitationsModel(notebooks) : null;
    const pools = new EnginePoolsSection(poolsModel, target, trans);
    const holdings = new HoldingsSection(
      holdingsModel,
      (holding, dataset, newTab) =>
        void commands.execute(OPEN_DATASET, {
          holding,
          id: dataset.id,
          newTab: newTab === true
        }),
      {
        target,
        pools: () =>
          poolsModel.pools.filter(
            p => p.state === 'running' || p.state === 'degraded'
          )
      },
      trans
    );
    // the pool picker under the results follows the pools and the current notebook
    poolsModel.changed.connect(() => holdings.update());
    target.changed.connect(() => holdings.update());
    const panel = new JasminPanel(translator);
    panel.addSection(pools);
    panel.addSection(holdings);
    if (citationsModel) {
      panel.addSection(new CitationsSection(citationsModel, trans));
    }
    panel.disposed.connect(() => {
      poolsModel.dispose();
      holdingsModel.dispose();
      citationsModel?.dispose();
    });
    shell.add(panel, 'left', { rank: 950 });
    restorer?.add(panel, panel.id);

    const datasets = new WidgetTracker<MainAreaWidget<DatasetView>>({
      namespace: 'jasmin-dataset'
    });
    if (restorer) {
      void restorer.restore(datasets, {
        command: OPEN_DATASET,
        args: widget => ({
          holding: widget.content.holding,
          id: widget.content.datasetId
        }),
        name: widget => `${widget.content.holding}:${widget.content.datasetId}`
      });
    }

    commands.addCommand(OPEN_DATASET, {
      describedBy: DATASET_ARGS,
      label: args =>
        typeof args.id === 'string'
          ? trans.__('Open dataset %1', args.id)
          : trans.__('Open dataset'),
      caption: trans.__(
        'Show a dataset of a holding: files, metadata, quick-look, snippets'
      ),
      execute: args => {
        const { holding, id, newTab } = datasetArgs(args);
        const open = datasets.find(
          widget =>
            widget.content.holding === holding &&
            widget.content.datasetId === id
        );
        if (open) {
          shell.activateById(open.id);
          return open;
        }
        const reused = newTab ? null : datasets.currentWidget;
        if (reused) {
          reused.content.showDataset(holding, id);
          void datasets.save(reused);
          shell.activateById(reused.id);
          return reused;
        }
        const widget = createDatasetWidget({
          holding,
          id,
          target,
          pools: poolsModel,
          trans,
          openDataset: (other, otherId) =>
            void commands.execute(OPEN_DATASET, { holding: other, id: otherId })
        });
        void datasets.add(widget);
        shell.add(widget, 'main');
        shell.activateById(widget.id);
        return widget;
      }
    });

    commands.addCommand(OPEN_DATASET_NEW_TAB, {
      describedBy: NO_ARGS,
      label: trans.__('Open in New Tab'),
      caption: trans.__('Open the dataset in a tab of its own'),
      execute: () => {
        const node = app.contextMenuHitTest(element =>
          element.matches(RESULT_SELECTOR)
        );
        const { holding, datasetId } = node?.dataset ?? {};
        if (holding && datasetId) {
          return commands.execute(OPEN_DATASET, {
            holding,
            id: datasetId,
            newTab: true
          });
        }
      }
    });
    app.contextMenu.addItem({
      command: OPEN_DATASET_NEW_TAB,
      selector: RESULT_SELECTOR,
      rank: 0
    });

    commands.addCommand(CommandIDs.openPanel, {
      describedBy: NO_ARGS,
      label: trans.__('Open JASMIN panel'),
      caption: trans.__('Show the JASMIN panel in the left sidebar'),
      icon: args => (args.isPalette ? undefined : jasminIcon),
      execute: () => {
        shell.activateById(panel.id);
      }
    });
    commands.addCommand(CommandIDs.newPool, {
      describedBy: NO_ARGS,
      label: trans.__('New engine pool'),
      caption: trans.__('Open the JASMIN panel at the New pool form'),
      execute: () => {
        shell.activateById(panel.id);
        panel.expandSection(pools);
        // the form is in the DOM once the panel has been laid out
        requestAnimationFrame(() => pools.focusNewPoolForm());
      }
    });
    commands.addCommand(CommandIDs.searchHoldings, {
      describedBy: NO_ARGS,
      label: trans.__('Search dataset holdings'),
      caption: trans.__(
        'Open the JASMIN panel at the search box of the Holdings section'
      ),
      execute: () => {
        shell.activateById(panel.id);
        panel.expandSection(holdings);
        // the search box appears once the holdings have been listed
        void focusWhenShown(() => holdings.focusSearch());
      }
    });
    commands.addCommand(CommandIDs.refresh, {
      describedBy: NO_ARGS,
      label: trans.__('Refresh JASMIN panel'),
      caption: trans.__(
        'Fetch the pools, resources and holdings shown in the JASMIN panel now'
      ),
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

/** Try `focus` on the next frames until it returns true (for at most 5 s). */
function focusWhenShown(focus: () => boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  return new Promise(resolve => {
    const attempt = (): void => {
      if (focus() || performance.now() > deadline) {
        resolve();
      } else {
        requestAnimationFrame(attempt);
      }
    };
    requestAnimationFrame(attempt);
  });
}

export default plugin;
