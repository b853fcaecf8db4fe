// The models' polls (issue 15): they ask the server only while a view shows what
// they poll and the browser tab is visible, poll fast only while a pool is
// changing, and stop for good when the plugin disposes them. The server is
// replaced by counting fakes; time is jest's fake clock.
import { HoldingsModel } from '../holdings-model';
import { FAST_POLL, PoolsModel, SLOW_POLL } from '../model';
import * as api from '../api';

jest.mock('../api', () => {
  const actual = jest.requireActual('../api');
  return {
    ...actual,
    listPools: jest.fn(),
    getResources: jest.fn(),
    getBackends: jest.fn(),
    listHoldings: jest.fn(),
    getHolding: jest.fn(),
    getFacetCounts: jest.fn(),
    getDatasetPage: jest.fn()
  };
});

const mocked = api as jest.Mocked<typeof api>;

const pool = (state: string): any => ({
  id: 'p1',
  name: 'p1',
  state,
  engines: { requested: 2, running: 2, starting: 0 }
});

const holding = (state: string): any => ({
  name: 'cmip6',
  state,
  datasets: 3,
  facets: ['source_id']
});

/** Let the fake clock run `ms`, settling the promises due meanwhile. */
const run = (ms: number): Promise<void> =>
  jest.advanceTimersByTimeAsync(ms).then(() => undefined);

function setTabHidden(hidden: boolean): void {
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: () => (hidden ? 'hidden' : 'visible')
  });
  document.dispatchEvent(new Event('visibilitychange'));
}

beforeEach(() => {
  jest.useFakeTimers();
  jest.clearAllMocks();
  setTabHidden(false);
  mocked.listPools.mockResolvedValue([pool('running')]);
  mocked.getResources.mockResolvedValue({} as any);
  mocked.getBackends.mockResolvedValue({ backends: [] } as any);
  mocked.listHoldings.mockResolvedValue([holding('ready')]);
  mocked.getHolding.mockResolvedValue(holding('indexing'));
  mocked.getFacetCounts.mockResolvedValue({} as any);
  mocked.getDatasetPage.mockResolvedValue({
    total: 0,
    offset: 0,
    datasets: []
  } as any);
});

afterEach(() => {
  jest.useRealTimers();
});

describe('PoolsModel', () => {
  test('stands by until a view shows the pools, and again once none does', async () => {
    const model = new PoolsModel();
    await run(4 * SLOW_POLL);
    expect(mocked.listPools).not.toHaveBeenCalled();
    expect(mocked.getResources).not.toHaveBeenCalled();
    expect(model.isStandingBy).toBe(true);

    const view = {};
    model.show(view);
    await run(10);
    expect(mocked.listPools).toHaveBeenCalledTimes(1);
    expect(mocked.getResources).toHaveBeenCalledTimes(1);
    expect(model.pools.map(p => p.id)).toStrictEqual(['p1']);
    await run(3 * SLOW_POLL);
    expect(mocked.listPools).toHaveBeenCalledTimes(4);

    model.hide(view);
    await run(4 * SLOW_POLL);
    expect(mocked.listPools).toHaveBeenCalledTimes(4);
    model.dispose();
  });

  test('one view hidden leaves the polls running for another still shown', async () => {
    const model = new PoolsModel();
    const section = {};
    const datasetTab = {};
    model.show(section);
    model.show(datasetTab);
    model.hide(section);
    await run(10 + 2 * SLOW_POLL);
    expect(mocked.listPools).toHaveBeenCalledTimes(3);
    model.dispose();
  });

  test('stands by while the browser tab is hidden, and resumes when it shows', async () => {
    const model = new PoolsModel();
    model.show({});
    await run(10);
    expect(mocked.listPools).toHaveBeenCalledTimes(1);

    setTabHidden(true);
    await run(10 * SLOW_POLL);
    // one tick lingers after the tab is hidden (lumino's default), then none
    const hiddenCalls = mocked.listPools.mock.calls.length;
    expect(hiddenCalls).toBeLessThanOrEqual(2);
    await run(10 * SLOW_POLL);
    expect(mocked.listPools).toHaveBeenCalledTimes(hiddenCalls);

    setTabHidden(false);
    await run(SLOW_POLL + 10);
    expect(mocked.listPools.mock.calls.length).toBeGreaterThan(hiddenCalls);
    model.dispose();
  });

  test('polls every second while a pool is starting, every three seconds otherwise', async () => {
    mocked.listPools.mockResolvedValue([pool('starting')]);
    const model = new PoolsModel();
    model.show({});
    await run(10);
    expect(model.isBusy).toBe(true);
    await run(6 * FAST_POLL);
    expect(mocked.listPools).toHaveBeenCalledTimes(7);

    mocked.listPools.mockResolvedValue([pool('running')]);
    await run(FAST_POLL);
    const calls = mocked.listPools.mock.calls.length;
    await run(2 * SLOW_POLL);
    expect(mocked.listPools).toHaveBeenCalledTimes(calls + 2);
    model.dispose();
  });

  test('an unreachable server is said, and polled less and less often', async () => {
    mocked.listPools.mockRejectedValue(new Error('server unreachable'));
    const model = new PoolsModel();
    model.show({});
    await run(10);
    expect(model.connectionError).toBe('server unreachable');
    await run(60 * 1000);
    // a steady poll would have asked 20 times in a minute
    expect(mocked.listPools.mock.calls.length).toBeLessThan(12);
    model.dispose();
  });

  test('dispose stops its polls for good', async () => {
    const model = new PoolsModel();
    model.show({});
    await run(10);
    model.dispose();
    expect(model.isDisposed).toBe(true);
    const calls = mocked.listPools.mock.calls.length;
    model.show({});
    await run(10 * SLOW_POLL);
    expect(mocked.listPools).toHaveBeenCalledTimes(calls);
    expect(mocked.getResources).toHaveBeenCalledTimes(1);
  });
});

describe('HoldingsModel', () => {
  test("polls a holding's status only while it is indexing and the section shows", async () => {
    mocked.listHoldings.mockResolvedValue([holding('indexing')]);
    const model = new HoldingsModel();
    await run(5000);
    expect(mocked.listHoldings).not.toHaveBeenCalled();
    expect(mocked.getHolding).not.toHaveBeenCalled();

    model.resume();
    await run(10);
    expect(mocked.listHoldings).toHaveBeenCalledTimes(1);
    await run(3000);
    expect(mocked.getHolding.mock.calls.length).toBeGreaterThanOrEqual(3);

    model.pause();
    await run(10);
    const calls = mocked.getHolding.mock.calls.length;
    await run(5000);
    expect(mocked.getHolding).toHaveBeenCalledTimes(calls);
    model.dispose();
  });

  test('stands by once the index is built', async () => {
    mocked.listHoldings.mockResolvedValue([holding('indexing')]);
    mocked.getHolding.mockResolvedValue(holding('ready'));
    const model = new HoldingsModel();
    model.resume();
    await run(1500);
    expect(model.current?.state).toBe('ready');
    const calls = mocked.getHolding.mock.calls.length;
    await run(5000);
    expect(mocked.getHolding).toHaveBeenCalledTimes(calls);
    model.dispose();
  });

  test('the search follows the text once typing pauses, once', async () => {
    const model = new HoldingsModel();
    model.resume();
    await run(10);
    mocked.getDatasetPage.mockClear();
    model.setText('t');
    model.setText('ta');
    model.setText('tas');
    await run(100);
    expect(mocked.getDatasetPage).not.toHaveBeenCalled();
    await run(400);
    expect(mocked.getDatasetPage).toHaveBeenCalledTimes(1);
    expect(mocked.getDatasetPage.mock.calls[0][1].text).toBe('tas');
    model.dispose();
  });

  test('Enter searches at once, and the pending search is dropped', async () => {
    const model = new HoldingsModel();
    model.resume();
    await run(10);
    mocked.getDatasetPage.mockClear();
    model.setText('pr');
    model.applyText();
    await run(10);
    expect(mocked.getDatasetPage).toHaveBeenCalledTimes(1);
    await run(1000);
    expect(mocked.getDatasetPage).toHaveBeenCalledTimes(1);
    model.dispose();
  });

  test('dispose stops its poll and its pending search', async () => {
    mocked.listHoldings.mockResolvedValue([holding('indexing')]);
    const model = new HoldingsModel();
    model.resume();
    await run(10);
    model.setText('tas');
    model.dispose();
    expect(model.isDisposed).toBe(true);
    const status = mocked.getHolding.mock.calls.length;
    const pages = mocked.getDatasetPage.mock.calls.length;
    await run(5000);
    expect(mocked.getHolding).toHaveBeenCalledTimes(status);
    expect(mocked.getDatasetPage).toHaveBeenCalledTimes(pages);
  });
});
