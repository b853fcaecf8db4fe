/**
 * What the "Holdings" section shows: the holdings and the state of their
 * indexes (polled every second while the one searched is being indexed and
 * the section is on screen, standing by otherwise),
 * and a faceted search over the chosen holding (facet counts and a page of
 * datasets, fetched again when the selection changes; answers to superseded
 * requests are cancelled or dropped).
 */
import { Debouncer, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import {
  IDatasetPage,
  IFacetCounts,
  IHolding,
  ISelection,
  JasminApiError,
  getDatasetPage,
  getFacetCounts,
  getHolding,
  listHoldings,
  refreshHolding
} from './api';

/** How often the status of a holding being indexed is fetched, in ms. */
export const INDEXING_POLL = 1000;
/** How long the search box waits for typing to pause, in ms. */
export const TEXT_DEBOUNCE = 300;
/** Datasets per page of results. */
export const PAGE_SIZE = 20;

/** Whether a holding has an index to search (it may be rebuilding it). */
export function hasIndex(holding: IHolding | null): boolean {
  return holding !== null && holding.datasets !== null;
}

/** One selected facet value, as a removable chip shows it. */
export interface IChosenValue {
  facet: string;
  value: string;
}

const EMPTY_SELECTION: ISelection = { facets: {}, text: '', latest: true };

export class HoldingsModel {
  constructor() {
    this._statusPoll = new Poll({
      factory: () => this.fetchCurrentOrSay(),
      frequency: { interval: INDEXING_POLL, backoff: true, max: 30000 },
      standby: () =>
        !this._visible || this.current?.state !== 'indexing' || 'when-hidden',
      name: 'jupyter-jasmin:holding-status'
    });
    this._textDebouncer = new Debouncer(() => this.searchText(), TEXT_DEBOUNCE);
  }

  /** Emitted whenever anything shown changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  // --- holdings ------------------------------------------------------------

  get holdings(): readonly IHolding[] {
    return this._holdings;
  }

  /** Whether the first list of holdings has arrived. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** Why the holdings could not be listed, or null. */
  get listError(): string | null {
    return this._listError;
  }

  /** The holding being searched. */
  get current(): IHolding | null {
    return this._holdings.find(h => h.name === this._currentName) ?? null;
  }

  /** Whether a refresh of the current holding was just asked for. */
  get refreshing(): boolean {
    return this._refreshing;
  }

  /** Why the last "Refresh index" failed, or null. */
  get refreshError(): string | null {
    return this._refreshError;
  }

  /** Search another holding (its facets differ: the selection starts afresh). */
  selectHolding(name: string): void {
    if (name === this._currentName) {
      return;
    }
    this._currentName = name;
    this._selection = EMPTY_SELECTION;
    this._text = '';
    this._offset = 0;
    this._facets = null;
    this._page = null;
    this._refreshError = null;
    this._changed.emit();
    this.searchAll();
  }

  /** Rebuild the current holding's index (only what changed, unless `full`). */
  async refreshIndex(full = false): Promise<void> {
    const holding = this.current;
    if (!holding) {
      return;
    }
    this._refreshing = true;
    this._refreshError = null;
    this._changed.emit();
    try {
      this.replace(await refreshHolding(holding.name, full));
    } catch (error) {
      this._refreshError = (error as Error).message;
      // it may have been started elsewhere meanwhile (409): show that
      await this.fetchCurrent().catch(() => undefined);
    } finally {
      this._refreshing = false;
      this._changed.emit();
    }
  }

  // --- the search ------------------------------------------------------------

  /** The selection the shown facets and results answer. */
  get selection(): ISelection {
    return this._selection;
  }

  /** The text in the search box (applied after a pause in typing). */
  get text(): string {
    return this._text;
  }

  /** The selected facet values, in facet order. */
  get chosen(): IChosenValue[] {
    const order = this.current?.facets ?? Object.keys(this._selection.facets);
    return order.flatMap(facet =>
      (this._selection.facets[facet] ?? []).map(value => ({ facet, value }))
    );
  }

  /** Whether anything narrows the search (facet values or text). */
  get isFiltered(): boolean {
    return this.chosen.length > 0 || this._selection.text.trim() !== '';
  }

  get facetCounts(): IFacetCounts | null {
    return this._facets;
  }

  get page(): IDatasetPage | null {
    return this._page;
  }

  get offset(): number {
    return this._offset;
  }

  get pageSize(): number {
    return PAGE_SIZE;
  }

  /** Whether facet counts or a page of results are on their way. */
  get searching(): boolean {
    return this._facetsBusy || this._pageBusy;
  }

  /** Why the last search failed (the server's message), or null. */
  get searchError(): string | null {
    return this._pageError ?? this._facetsError;
  }

  /** Select or unselect one value of a facet. */
  setValue(facet: string, value: string, selected: boolean): void {
    const values = this._selection.facets[facet] ?? [];
    if (values.includes(value) === selected) {
      return;
    }
    const next = selected
      ? [...values, value]
      : values.filter(v => v !== value);
    const facets = { ...this._selection.facets };
    if (next.length) {
      facets[facet] = next;
    } else {
      delete facets[facet];
    }
    this.select({ ...this._selection, facets });
  }

  /** Type in the search box: the search follows once typing pauses. */
  setText(text: string): void {
    this._text = text;
    this._changed.emit();
    this._textDebouncer.invoke().catch(() => undefined);
  }

  /** Search now for what the search box holds (Enter). */
  applyText(): void {
    void this._textDebouncer.stop();
    this.searchText();
  }

  setLatest(latest: boolean): void {
    if (latest !== this._selection.latest) {
      this.select({ ...this._selection, latest });
    }
  }

  /** Drop every facet value and the search text (not the latest toggle). */
  clearAll(): void {
    void this._textDebouncer.stop();
    this._text = '';
    this.select({ ...EMPTY_SELECTION, latest: this._selection.latest });
  }

  /** Show the page of results starting at `offset`. */
  setOffset(offset: number): void {
    const total = this._page?.total ?? 0;
    const clamped = Math.max(0, Math.min(offset, Math.max(0, total - 1)));
    const start = clamped - (clamped % PAGE_SIZE);
    if (start !== this._offset) {
      this._offset = start;
      this._changed.emit();
      void this.fetchPage();
    }
  }

  // --- life cycle ----------------------------------------------------------

  /** List the holdings (and search) now; carry on polling while indexing. */
  resume(): void {
    if (this._isDisposed) {
      return;
    }
    this._visible = true;
    void this.fetchHoldings();
  }

  /** Stand by until `resume`. */
  pause(): void {
    this._visible = false;
  }

  /** Whether the status poll is standing by (the section is not on screen). */
  get isStandingBy(): boolean {
    return !this._visible;
  }

  /** Fetch the holdings, facet counts and results now. */
  async refresh(): Promise<void> {
    await this.fetchHoldings();
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._statusPoll.dispose();
    this._textDebouncer.dispose();
    this._facetsAbort?.abort();
    this._pageAbort?.abort();
    Signal.clearData(this);
  }

  // --- private -------------------------------------------------------------

  /** Search for the text typed, unless it is what the results answer. */
  private searchText(): void {
    if (this._text !== this._selection.text) {
      this.select({ ...this._selection, text: this._text });
    }
  }

  private select(selection: ISelection): void {
    this._selection = selection;
    this._offset = 0;
    this._changed.emit();
    this.searchAll();
  }

  private searchAll(): void {
    void this.fetchFacets();
    void this.fetchPage();
  }

  private async fetchHoldings(): Promise<void> {
    try {
      const holdings = await listHoldings();
      this._holdings = holdings;
      this._loaded = true;
      this._listError = null;
      if (!this.current) {
        this._currentName = holdings[0]?.name ?? null;
      }
      this._changed.emit();
      // shown again or refreshed: the counts may be stale
      this.searchAll();
    } catch (error) {
      this._listError = (error as Error).message;
      this._changed.emit();
    }
    this.watchIndexing();
  }

  /** Fetch the current holding's status (and search again if its index changed). */
  private async fetchCurrent(): Promise<void> {
    const before = this.current;
    if (!before) {
      return;
    }
    const holding = await getHolding(before.name);
    this.replace(holding);
    if (this.indexChanged(before)) {
      this.searchAll();
    }
  }

  /** Whether the current holding's index differs from the one `before` described. */
  private indexChanged(before: IHolding): boolean {
    const now = this.current;
    return (
      now !== null &&
      (now.last_refresh !== before.last_refresh ||
        now.datasets !== before.datasets ||
        (before.state === 'indexing' && now.state !== 'indexing'))
    );
  }

  private replace(holding: IHolding): void {
    this._holdings = this._holdings.map(h =>
      h.name === holding.name ? holding : h
    );
    this._changed.emit();
  }

  /** One tick of the status poll: a failure is said (and the poll backs off). */
  private async fetchCurrentOrSay(): Promise<void> {
    try {
      await this.fetchCurrent();
    } catch (error) {
      this._listError = (error as Error).message;
      this._changed.emit();
      throw error;
    }
  }

  /** The current holding is being indexed: poll its status from now. */
  private watchIndexing(): void {
    if (!this._isDisposed && this.current?.state === 'indexing') {
      void this._statusPoll.refresh();
    }
  }

  private async fetchFacets(): Promise<void> {
    this._facetsAbort?.abort();
    const holding = this.current;
    const ticket = ++this._facetsTicket;
    if (!holding || !hasIndex(holding)) {
      this._facets = null;
      this._facetsError = null;
      this._facetsBusy = false;
      this._changed.emit();
      return;
    }
    const abort = new AbortController();
    this._facetsAbort = abort;
    this._facetsBusy = true;
    this._changed.emit();
    try {
      const facets = await getFacetCounts(
        holding.name,
        this._selection,
        abort.signal
      );
      if (ticket === this._facetsTicket) {
        this._facets = facets;
        this._facetsError = null;
      }
    } catch (error) {
      if (ticket === this._facetsTicket) {
        this._facetsError = this.searchFailed(error as Error);
      }
    } finally {
      if (ticket === this._facetsTicket) {
        this._facetsBusy = false;
        this._changed.emit();
      }
    }
  }

  private async fetchPage(): Promise<void> {
    this._pageAbort?.abort();
    const holding = this.current;
    const ticket = ++this._pageTicket;
    if (!holding || !hasIndex(holding)) {
      this._page = null;
      this._pageError = null;
      this._pageBusy = false;
      this._changed.emit();
      return;
    }
    const abort = new AbortController();
    this._pageAbort = abort;
    this._pageBusy = true;
    this._changed.emit();
    try {
      const page = await getDatasetPage(
        holding.name,
        this._selection,
        this._offset,
        PAGE_SIZE,
        abort.signal
      );
      if (ticket === this._pageTicket) {
        this._page = page;
        this._pageError = null;
        if (page.total > 0 && page.offset >= page.total) {
          // the index shrank under the page shown: go to its last page
          this.setOffset(page.total - 1);
        }
      }
    } catch (error) {
      if (ticket === this._pageTicket) {
        this._pageError = this.searchFailed(error as Error);
      }
    } finally {
      if (ticket === this._pageTicket) {
        this._pageBusy = false;
        this._changed.emit();
      }
    }
  }

  /** The message to show for a failed search; a 409 also fetches the holding's status. */
  private searchFailed(error: Error): string {
    if (error instanceof JasminApiError && error.status === 409) {
      // the index went away (or is not there yet): its status says why
      void this.fetchCurrent()
        .then(() => this.watchIndexing())
        .catch(() => undefined);
    }
    return error.message;
  }

  private _holdings: IHolding[] = [];
  private _loaded = false;
  private _listError: string | null = null;
  private _currentName: string | null = null;
  private _refreshing = false;
  private _refreshError: string | null = null;
  private _selection: ISelection = EMPTY_SELECTION;
  private _text = '';
  private _offset = 0;
  private _facets: IFacetCounts | null = null;
  private _page: IDatasetPage | null = null;
  private _facetsError: string | null = null;
  private _pageError: string | null = null;
  private _facetsBusy = false;
  private _pageBusy = false;
  private _facetsTicket = 0;
  private _pageTicket = 0;
  private _facetsAbort: AbortController | null = null;
  private _pageAbort: AbortController | null = null;
  private readonly _statusPoll: Poll;
  private readonly _textDebouncer: Debouncer;
  private _visible = false;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}
