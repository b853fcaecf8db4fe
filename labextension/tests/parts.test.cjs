// What the panel says of a pool's parts (one per backend: burst), of whole-set
// (MPI) scaling and of idle culling. Run by `jlpm test`, on the CommonJS build
// of src/ that `tsc -p tests` writes to tests/build/.
const assert = require('node:assert/strict');
const { test } = require('node:test');

const {
  formatCountdown,
  formatIdle,
  formatPart
} = require('./build/src/format.js');
const { idleHint, parseIdleMinutes } = require('./build/src/limits.js');
const {
  burstBackends,
  liveSetSizes,
  partLimit,
  wholeSetChoices
} = require('./build/src/parts.js');

const idle = (fields, state = 'running') => ({
  state,
  idle: { minutes: 60, idle_seconds: 300, culls_in_seconds: 3300, ...fields }
});

test('a countdown rounds up to the minute, then counts seconds', () => {
  assert.equal(formatCountdown(3287.5), '55 min');
  assert.equal(formatCountdown(720), '12 min');
  assert.equal(formatCountdown(661), '12 min');
  assert.equal(formatCountdown(60), '1 min');
  assert.equal(formatCountdown(59.2), '60 s');
  assert.equal(formatCountdown(0.4), '1 s');
  assert.equal(formatCountdown(-5), '0 s');
  assert.equal(formatCountdown(3600), '1 h');
  assert.equal(formatCountdown(3601), '1 h 1 min');
});

test('an idle pool says when it stops, counting down from when it was read', () => {
  assert.equal(
    formatIdle(idle({ culls_in_seconds: 720 })),
    'stops in 12 min if idle'
  );
  assert.equal(
    formatIdle(idle({ culls_in_seconds: 720 }), 30),
    'stops in 12 min if idle'
  );
  assert.equal(
    formatIdle(idle({ culls_in_seconds: 720 }), 61),
    'stops in 11 min if idle'
  );
  assert.equal(
    formatIdle(idle({ culls_in_seconds: 50 }), 20),
    'stops in 30 s if idle'
  );
  assert.equal(
    formatIdle(idle({ culls_in_seconds: 5 }), 9),
    'stopping: idle too long'
  );
  assert.equal(formatIdle(idle({}, 'degraded')), 'stops in 55 min if idle');
});

test('a running pool with work is busy; culling off or not running says nothing', () => {
  assert.equal(
    formatIdle(idle({ idle_seconds: null, culls_in_seconds: null })),
    'busy'
  );
  assert.equal(
    formatIdle(
      idle({ minutes: null, idle_seconds: null, culls_in_seconds: null })
    ),
    null
  );
  assert.equal(
    formatIdle(
      idle({ idle_seconds: null, culls_in_seconds: null }, 'starting')
    ),
    null
  );
  assert.equal(formatIdle(idle({}, 'stopped')), null);
});

test('a part in one line: running of requested, then what starts and what was lost', () => {
  const part = { requested: 2, running: 2, starting: 0, lost: 0 };
  assert.equal(formatPart(part), '2/2 engines');
  assert.equal(
    formatPart({ ...part, running: 0, starting: 2 }),
    '0/2 engines, 2 starting'
  );
  assert.equal(
    formatPart({ ...part, running: 1, starting: 1, lost: 1 }),
    '1/2 engines, 1 starting, 1 lost'
  );
});

test('a whole-sets part shrinks only by whole sets and grows by one new set', () => {
  assert.deepEqual(wholeSetChoices([2, 2], 6), [
    { engines: 0, label: '0 (stop 2 sets of 2)' },
    { engines: 2, label: '2 (stop a set of 2)' },
    { engines: 4, label: '4 (now)' },
    { engines: 5, label: '5 (start a set of 1)' },
    { engines: 6, label: '6 (start a set of 2)' }
  ]);
  assert.deepEqual(
    wholeSetChoices([3, 1], 4).map(choice => choice.label),
    [
      '0 (stop sets of 3 + 1)',
      '1 (stop a set of 3)',
      '3 (stop a set of 1)',
      '4 (now)'
    ]
  );
  // a removal that several sets could make names the fewest sets
  assert.deepEqual(
    wholeSetChoices([1, 1, 2], 4).map(choice => choice.label),
    [
      '0 (stop sets of 1 + 1 + 2)',
      '1 (stop sets of 1 + 2)',
      '2 (stop a set of 2)',
      '3 (stop a set of 1)',
      '4 (now)'
    ]
  );
  assert.deepEqual(
    wholeSetChoices([], 2).map(choice => choice.engines),
    [0, 1, 2]
  );
});

const pool = {
  parts: [
    { backend: 'local', primary: true, requested: 2 },
    { backend: 'mpi', primary: false, requested: 4 }
  ],
  engines: {
    requested: 6,
    list: [
      { id: 0, engine_set: 'local-0' },
      { id: 1, engine_set: null },
      { id: 2, engine_set: 'mpi-0' },
      { id: 3, engine_set: 'mpi-1' }
    ]
  },
  engine_sets: [
    { id: 'local-0', backend: 'local', state: 'running', requested: 2 },
    { id: 'mpi-0', backend: 'mpi', state: 'running', requested: 2 },
    { id: 'mpi-1', backend: 'mpi', state: 'starting', requested: 2 },
    { id: 'mpi-2', backend: 'mpi', state: 'ended', requested: 3 }
  ]
};

test("a part's live engine sets: those starting or running, not those ended", () => {
  assert.deepEqual(liveSetSizes(pool, pool.parts[1]), [2, 2]);
  assert.deepEqual(liveSetSizes(pool, pool.parts[0]), [2]);
});

test("a part may have what the backend allows and the pool's limit leaves beside the other parts", () => {
  assert.equal(partLimit(pool, pool.parts[1], 8, 8), 6);
  assert.equal(partLimit(pool, pool.parts[1], 3, 8), 3);
  assert.equal(partLimit(pool, { requested: 0 }, undefined, 4), 0);
});

test('engines can be added from the enabled backends the pool has no part of', () => {
  const backends = {
    backends: [{ name: 'local' }, { name: 'slurm' }, { name: 'mpi' }]
  };
  assert.deepEqual(
    burstBackends(pool, backends).map(b => b.name),
    ['slurm']
  );
  assert.deepEqual(burstBackends(pool, null), []);
});

test('the idle time asked: empty for the default, up to the maximum, 0 for never if allowed', () => {
  const limits = { default: 60, maximum: 240 };
  assert.equal(parseIdleMinutes('', limits), null);
  assert.equal(parseIdleMinutes(' 15 ', limits), 15);
  assert.equal(parseIdleMinutes('0.5', limits), 0.5);
  const over = {
    error:
      'Stop when idle for: a number of minutes, more than 0 and at most 240'
  };
  assert.deepEqual(parseIdleMinutes('300', limits), over);
  assert.deepEqual(parseIdleMinutes('0', limits), over);
  const free = { default: null, maximum: null };
  assert.equal(parseIdleMinutes('0', free), 0);
  assert.equal(parseIdleMinutes('600', free), 600);
  assert.deepEqual(parseIdleMinutes('-1', free), {
    error: 'Stop when idle for: a number of minutes, 0 for never'
  });
  assert.deepEqual(parseIdleMinutes('ten', free), {
    error: 'Stop when idle for: a number of minutes, 0 for never'
  });
});

test('the idle field says what empty means, and the maximum or how to say never', () => {
  assert.equal(
    idleHint({ default: 60, maximum: 240 }),
    'empty: 1 h · at most 4 h'
  );
  assert.equal(idleHint({ default: null, maximum: 120 }), 'at most 2 h');
  assert.equal(idleHint({ default: null, maximum: null }), 'empty or 0: never');
  assert.equal(
    idleHint({ default: 30, maximum: null }),
    'empty: 30 min · 0: never'
  );
});
