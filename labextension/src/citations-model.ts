/**
 * What the "Data used" section shows: the datasets the kernel of the notebook
 * in focus opened or mapped (`GET kernels/{id}/citations`). One poll, paused
 * while the section or the browser tab is hidden, and run again as soon as the
 * kernel goes idle (a cell has finished) or the notebook in focus changes.
 */
import { ISessionContext } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { IKernelCitations, getKernelCitations } from './api';
import { sameCitations } from './citations-text';

/** Milliseconds between polls while nothing else asks for one. */
export const CITATIONS_POLL = 5000;

export class CitationsModel {
  constructor(private readonly notebooks: INotebookTracker) {
    this._poll = new Poll({
      factory: () => this.fetch(),
      frequency: { interval: CITATIONS_POLL, backoff: true, max: 60000 },
      standby: () => this._paused || 'when-hidden',
      name: 'jupyter-jasmin:citations'
    });
    notebooks.currentChanged.connect(this.follow, this);
    this.follow();
  }

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The notebook in focus (its name), or null. */
  get notebook(): string | null {
    return this._panel?.title.label ?? null;
  }

  /** The id of the kernel of the notebook in focus, if it runs one. */
  get kernelId(): string | null {
    return this._panel?.sessionContext.session?.kernel?.id ?? null;
  }

  /** The kernel's citations, once read (null before, or without a kernel). */
  get citations(): IKernelCitations | null {
    return this._citations;
  }

  get error(): string | null {
    return this._error;
  }

  /** Poll (the section is on screen). */
  resume(): void {
    this._paused = false;
    void this._poll.refresh();
  }

  /** Stop polling (the section is hidden). */
  pause(): void {
    this._paused = true;
  }

  /** Read the citations now. */
  async refresh(): Promise<void> {
    await this._poll.refresh();
    await this._poll.tick;
  }

  dispose(): void {
    this.notebooks.currentChanged.disconnect(this.follow, this);
    this.watch(null);
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async fetch(): Promise<void> {
    const kernelId = this.kernelId;
    let citations: IKernelCitations | null = null;
    let error: string | null = null;
    try {
      citations = kernelId ? await getKernelCitations(kernelId) : null;
    } catch (reason) {
      // a kernel that has just gone is not an error: it lists nothing
      const status = (reason as { status?: number }).status;
      error =
        status === 404 ? null : String((reason as Error).message ?? reason);
    }
    if (kernelId !== this.kernelId) {
      return; // the notebook or its kernel changed while this was asked
    }
    this.show(citations, error);
    if (error !== null) {
      throw new Error(error); // the poll backs off
    }
  }

  private show(citations: IKernelCitations | null, error: string | null): void {
    if (sameCitations(citations, this._citations) && error === this._error) {
      return;
    }
    this._citations = citations;
    this._error = error;
    this._changed.emit();
  }

  /** Follow the notebook in focus: its kernel, and each time it goes idle. */
  private follow(): void {
    this.watch(this.notebooks.currentWidget);
    this.show(null, null);
    void this._poll.refresh();
  }

  private watch(panel: NotebookPanel | null): void {
    const old = this._panel?.sessionContext;
    old?.statusChanged.disconnect(this.onStatus, this);
    old?.kernelChanged.disconnect(this.onKernel, this);
    this._panel = panel;
    panel?.sessionContext.statusChanged.connect(this.onStatus, this);
    panel?.sessionContext.kernelChanged.connect(this.onKernel, this);
  }

  private onStatus(_: ISessionContext, status: string): void {
    if (status === 'idle' || status === 'restarting' || status === 'dead') {
      void this._poll.refresh();
    }
  }

  private onKernel(): void {
    this.show(null, null);
    void this._poll.refresh();
  }

  private readonly _poll: Poll;
  private readonly _changed = new Signal<this, void>(this);
  private _panel: NotebookPanel | null = null;
  private _citations: IKernelCitations | null = null;
  private _error: string | null = null;
  private _paused = true;
}
