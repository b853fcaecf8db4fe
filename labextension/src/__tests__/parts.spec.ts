// What the panel says of a pool's parts (one per backend: burst), of whole-set
// (MPI) scaling and of idle culling. Run by `jlpm test`, on the CommonJS build
// of src/ that `tsc -p tests` writes to tests/build/.
import { formatCountdown, formatIdle, formatPart } from '../format';
import { idleHint, parseIdleMinutes } from '../limits';
import {
  burstBackends,
  liveSetSizes,
  partLimit,
  wholeSetChoices
} from '../parts';

// fixtures hold only the fields a function reads
const idle = (fields: object, state = 'running'): any => ({
  state,
  idle: { minutes: 60, idle_seconds: 300, culls_in_seconds: 3300, ...fields }
});

test('a countdown rounds up to the minute, then counts seconds', () => {
  expect(formatCountdown(3287.5)).toBe('55 min');
  expect(formatCountdown(720)).toBe('12 min');
  expect(formatCountdown(661)).toBe('12 min');
  expect(formatCountdown(60)).toBe('1 min');
  expect(formatCountdown(59.2)).toBe('60 s');
  expect(formatCountdown(0.4)).toBe('1 s');
  expect(formatCountdown(-5)).toBe('0 s');
  expect(formatCountdown(3600)).toBe('1 h');
  expect(formatCountdown(3601)).toBe('1 h 1 min');
});

test('an idle pool says when it stops, counting down from when it was read', () => {
  expect(formatIdle(idle({ culls_in_seconds: 720 }))).toBe(
    'stops in 12 min if idle'
  );
  expect(formatIdle(idle({ culls_in_seconds: 720 }), 30)).toBe(
    'stops in 12 min if idle'
  );
  expect(formatIdle(idle({ culls_in_seconds: 720 }), 61)).toBe(
    'stops in 11 min if idle'
  );
  expect(formatIdle(idle({ culls_in_seconds: 50 }), 20)).toBe(
    'stops in 30 s if idle'
  );
  expect(formatIdle(idle({ culls_in_seconds: 5 }), 9)).toBe(
    'stopping: idle too long'
  );
  expect(formatIdle(idle({}, 'degraded'))).toBe('stops in 55 min if idle');
});

test('a running pool with work is busy; culling off or not running says nothing', () => {
  expect(formatIdle(idle({ idle_seconds: null, culls_in_seconds: null }))).toBe(
    'busy'
  );
  expect(
    formatIdle(
      idle({ minutes: null, idle_seconds: null, culls_in_seconds: null })
    )
  ).toBe(null);
  expect(
    formatIdle(idle({ idle_seconds: null, culls_in_seconds: null }, 'starting'))
  ).toBe(null);
  expect(formatIdle(idle({}, 'stopped'))).toBe(null);
});

test('a part in one line: running of requested, then what starts and what was lost', () => {
  const part = { requested: 2, running: 2, starting: 0, lost: 0 };
  expect(formatPart(part)).toBe('2/2 engines');
  expect(formatPart({ ...part, running: 0, starting: 2 })).toBe(
    '0/2 engines, 2 starting'
  );
  expect(formatPart({ ...part, running: 1, starting: 1, lost: 1 })).toBe(
    '1/2 engines, 1 starting, 1 lost'
  );
});

test('a whole-sets part shrinks only by whole sets and grows by one new set', () => {
  expect(wholeSetChoices([2, 2], 6)).toStrictEqual([
    { engines: 0, label: '0 (stop 2 sets of 2)' },
    { engines: 2, label: '2 (stop a set of 2)' },
    { engines: 4, label: '4 (now)' },
    { engines: 5, label: '5 (start a set of 1)' },
    { engines: 6, label: '6 (start a set of 2)' }
  ]);
  expect(wholeSetChoices([3, 1], 4).map(choice => choice.label)).toStrictEqual([
    '0 (stop sets of 3 + 1)',
    '1 (stop a set of 3)',
    '3 (stop a set of 1)',
    '4 (now)'
  ]);
  // a removal that several sets could make names the fewest sets
  expect(
    wholeSetChoices([1, 1, 2], 4).map(choice => choice.label)
  ).toStrictEqual([
    '0 (stop sets of 1 + 1 + 2)',
    '1 (stop sets of 1 + 2)',
    '2 (stop a set of 2)',
    '3 (stop a set of 1)',
    '4 (now)'
  ]);
  expect(wholeSetChoices([], 2).map(choice => choice.engines)).toStrictEqual([
    0, 1, 2
  ]);
});

const pool: any = {
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
  expect(liveSetSizes(pool, pool.parts[1])).toStrictEqual([2, 2]);
  expect(liveSetSizes(pool, pool.parts[0])).toStrictEqual([2]);
});

test("a part may have what the backend allows and the pool's limit leaves beside the other parts", () => {
  expect(partLimit(pool, pool.parts[1], 8, 8)).toBe(6);
  expect(partLimit(pool, pool.parts[1], 3, 8)).toBe(3);
  expect(partLimit(pool, { requested: 0 }, undefined, 4)).toBe(0);
});

test('engines can be added from the enabled backends the pool has no part of', () => {
  const backends: any = {
    backends: [{ name: 'local' }, { name: 'slurm' }, { name: 'mpi' }]
  };
  expect(burstBackends(pool, backends).map(b => b.name)).toStrictEqual([
    'slurm'
  ]);
  expect(burstBackends(pool, null)).toStrictEqual([]);
});

test('the idle time asked: empty for the default, up to the maximum, 0 for never if allowed', () => {
  const limits = { default: 60, maximum: 240 };
  expect(parseIdleMinutes('', limits)).toBe(null);
  expect(parseIdleMinutes(' 15 ', limits)).toBe(15);
  expect(parseIdleMinutes('0.5', limits)).toBe(0.5);
  const over = {
    error:
      'Stop when idle for: a number of minutes, more than 0 and at most 240'
  };
  expect(parseIdleMinutes('300', limits)).toStrictEqual(over);
  expect(parseIdleMinutes('0', limits)).toStrictEqual(over);
  const free = { default: null, maximum: null };
  expect(parseIdleMinutes('0', free)).toBe(0);
  expect(parseIdleMinutes('600', free)).toBe(600);
  expect(parseIdleMinutes('-1', free)).toStrictEqual({
    error: 'Stop when idle for: a number of minutes, 0 for never'
  });
  expect(parseIdleMinutes('ten', free)).toStrictEqual({
    error: 'Stop when idle for: a number of minutes, 0 for never'
  });
});

test('the idle field says what empty means, and the maximum or how to say never', () => {
  expect(idleHint({ default: 60, maximum: 240 })).toBe(
    'empty: 1 h · at most 4 h'
  );
  expect(idleHint({ default: null, maximum: 120 })).toBe('at most 2 h');
  expect(idleHint({ default: null, maximum: null })).toBe('empty or 0: never');
  expect(idleHint({ default: 30, maximum: null })).toBe(
    'empty: 30 min · 0: never'
  );
});
