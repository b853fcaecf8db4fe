// What the Engine pools section says about engine counts, load and empty pools
// (issue 15: one voice with the server, oversubscription, a pool of no engines).
// Run by `jlpm test`, on the CommonJS build that `tsc -p tests` writes.
const assert = require('node:assert/strict');
const { test } = require('node:test');

const {
  coresInUse,
  engineCountError,
  oversubscription
} = require('./build/src/limits.js');
const { EMPTY_POOL_NOTE, shownPoolState } = require('./build/src/format.js');

test('an engine count out of range is refused in the words the server uses', () => {
  assert.equal(
    engineCountError('999', 1, 2),
    'Engines must be at most 2 on this server (999 asked)'
  );
  assert.equal(
    engineCountError('0', 1, 2),
    'Engines must be at least 1 (0 asked)'
  );
  assert.equal(
    engineCountError('1.5', 1, 2),
    "Engines must be a whole number ('1.5' asked)"
  );
  assert.equal(
    engineCountError(' ', 1, 2),
    'Engines must be a whole number (nothing asked)'
  );
});

test('an engine count within the limits is no error, 0 only where scaling allows it', () => {
  assert.equal(engineCountError('2', 1, 2), null);
  assert.equal(engineCountError('0', 0, 2), null);
});

test('more engines than cores is a warning that says what each engine gets', () => {
  assert.equal(
    oversubscription(4, 0, 2),
    '4 engines on 2 cores: each engine gets half a core'
  );
  assert.equal(
    oversubscription(1, 2, 2),
    '3 engines on 2 cores (2 already in your pools): each engine gets 0.67 of a core'
  );
  assert.equal(
    oversubscription(2, 2, 1),
    '4 engines on 1 core (2 already in your pools): each engine gets a quarter of a core'
  );
});

test('engines that fit the cores give no warning', () => {
  assert.equal(oversubscription(2, 0, 2), null);
  assert.equal(oversubscription(1, 1, 2), null);
});

test('the cores line says in words how many are in use by the pools', () => {
  assert.equal(coresInUse(2, 2), '2 of 2 cores in use by your pools');
  assert.equal(coresInUse(0, 1), '0 of 1 core in use by your pools');
});

test('a running pool of no engines shows as empty, not as a healthy running pool', () => {
  assert.equal(shownPoolState('running', 0), 'empty');
  assert.equal(shownPoolState('running', 2), 'running');
  assert.equal(shownPoolState('starting', 0), 'starting');
  assert.equal(shownPoolState('stopped', 0), 'stopped');
  assert.match(EMPTY_POOL_NOTE, /scale up/);
});

test('sections not in use share the height, small ones in full, none below the floor', () => {
  const { shareHeight } = require('./build/src/sizing.js');
  // the short "Data used" section gets its 84 px, the long holdings the rest
  assert.deepEqual(shareHeight([2396, 84], 315, 72), [231, 84]);
  // too little room: each keeps the floor
  assert.deepEqual(shareHeight([500, 500], 100, 72), [72, 72]);
  // room to spare: each gets what it needs, no more
  assert.deepEqual(shareHeight([100, 90], 1000, 72), [100, 90]);
});
