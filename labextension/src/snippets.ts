/**
 * Where the panel's code snippets go: a new code cell below the active cell
 * of the active notebook, or the system clipboard.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { Clipboard } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

/** Why "Insert snippet" is disabled when no notebook is open. */
export const NO_NOTEBOOK = 'Open a notebook to insert the snippet';

/** Add a code cell holding `code` below the notebook's active cell and select it. */
export function insertCellBelow(panel: NotebookPanel, code: string): void {
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    throw new Error('The notebook is not loaded yet');
  }
  const index = notebook.activeCell ? notebook.activeCellIndex + 1 : 0;
  model.sharedModel.insertCell(index, {
    cell_type: 'code',
    source: code,
    // the user asked for this code, as if typed: trust it like a new cell
    metadata: { trusted: true }
  });
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  void notebook.scrollToItem(index, 'smart');
}

/** The notebook snippets are inserted into: the tracker's current one. */
export class SnippetTarget {
  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly tracker: INotebookTracker | null
  ) {
    tracker?.currentChanged.connect(this.onCurrentChanged, this);
  }

  /** Emitted when a notebook opens, closes or becomes current. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The notebook a snippet would go into, if any. */
  get notebook(): NotebookPanel | null {
    return this.tracker?.currentWidget ?? null;
  }

  /** Insert `code` below the active cell and bring the notebook forward. */
  insert(code: string): void {
    const panel = this.notebook;
    if (!panel) {
      throw new Error(NO_NOTEBOOK);
    }
    insertCellBelow(panel, code);
    this.app.shell.activateById(panel.id);
  }

  /** Put `code` on the system clipboard. */
  copy(code: string): void {
    Clipboard.copyToSystem(code);
  }

  dispose(): void {
    this.tracker?.currentChanged.disconnect(this.onCurrentChanged, this);
    Signal.clearData(this);
  }

  private onCurrentChanged(): void {
    this._changed.emit();
  }

  private _changed = new Signal<this, void>(this);
}
