// What the Engine pools section says about engine counts, load and empty pools
// (issue 15: one voice with the server, oversubscription, a pool of no engines).
// Run by `jlpm test`, on the CommonJS build that `tsc -p tests` writes.
import {
  adaptRangeError,
  coresInUse,
  engineCountError,
  oversubscription
} from '../limits';
import { EMPTY_POOL_NOTE, shownPoolState } from '../format';
import { shareHeight } from '../sizing';

test('an engine count out of range is refused in the words the server uses', () => {
  expect(engineCountError('999', 1, 2)).toBe(
    'Engines must be at most 2 on this server (999 asked)'
  );
  expect(engineCountError('0', 1, 2)).toBe(
    'Engines must be at least 1 (0 asked)'
  );
  expect(engineCountError('1.5', 1, 2)).toBe(
    "Engines must be a whole number ('1.5' asked)"
  );
  expect(engineCountError(' ', 1, 2)).toBe(
    'Engines must be a whole number (nothing asked)'
  );
});

test('an engine count within the limits is no error, 0 only where scaling allows it', () => {
  expect(engineCountError('2', 1, 2)).toBe(null);
  expect(engineCountError('0', 0, 2)).toBe(null);
});

test('more engines than cores is a warning that says what each engine gets', () => {
  expect(oversubscription(4, 0, 2)).toBe(
    '4 engines on 2 cores: each engine gets half a core'
  );
  expect(oversubscription(1, 2, 2)).toBe(
    '3 engines on 2 cores (2 already in your pools): each engine gets 0.67 of a core'
  );
  expect(oversubscription(2, 2, 1)).toBe(
    '4 engines on 1 core (2 already in your pools): each engine gets a quarter of a core'
  );
});

test('engines that fit the cores give no warning', () => {
  expect(oversubscription(2, 0, 2)).toBe(null);
  expect(oversubscription(1, 1, 2)).toBe(null);
});

test('the cores line says in words how many are in use by the pools', () => {
  expect(coresInUse(2, 2)).toBe('2 of 2 cores in use by your pools');
  expect(coresInUse(0, 1)).toBe('0 of 1 core in use by your pools');
});

test('a running pool of no engines shows as empty, not as a healthy running pool', () => {
  expect(shownPoolState('running', 0)).toBe('empty');
  expect(shownPoolState('running', 2)).toBe('running');
  expect(shownPoolState('starting', 0)).toBe('starting');
  expect(shownPoolState('stopped', 0)).toBe('stopped');
  expect(EMPTY_POOL_NOTE).toMatch(/scale up/);
});

test('sections not in use share the height, small ones in full, none below the floor', () => {
  // the short "Data used" section gets its 84 px, the long holdings the rest
  expect(shareHeight([2396, 84], 315, 72)).toStrictEqual([231, 84]);
  // too little room: each keeps the floor
  expect(shareHeight([500, 500], 100, 72)).toStrictEqual([72, 72]);
  // room to spare: each gets what it needs, no more
  expect(shareHeight([100, 90], 1000, 72)).toStrictEqual([100, 90]);
});

describe('adaptRangeError', () => {
  it('speaks as the server does, naming the field', () => {
    expect(adaptRangeError('1', '4', 4)).toBeNull();
    expect(adaptRangeError('0', '1', 4)).toBeNull();
    expect(adaptRangeError('3', '2', 4)).toBe(
      'Minimum engines must be at most the maximum (3 > 2)'
    );
    expect(adaptRangeError('1', '9', 4)).toBe(
      'Maximum engines must be at most 4 on this server (9 asked)'
    );
    expect(adaptRangeError('1', '0', 4)).toBe(
      'Maximum engines must be at least 1 (0 asked)'
    );
    expect(adaptRangeError('x', '2', 4)).toBe(
      "Minimum engines must be a whole number ('x' asked)"
    );
  });
});
