// What the panel says of batch pools: jobs' states and reasons, time left,
// estimated starts, previews and partition limits. Run by `jlpm test`, on the
// CommonJS build of src/ that `tsc -p tests` writes to tests/build/.
// Times are read in UTC here, so the clock readings below do not depend on the
// machine's time zone (the panel uses the browser's).
import {
  formatDuration,
  formatEngineSets,
  formatEstimate,
  formatEstimatedStart,
  formatJobState,
  formatPreviewStart,
  formatTimeLeft
} from '../format';
import {
  chosenPartition,
  formatPartition,
  optionHint,
  partitionLimits
} from '../limits';
process.env.TZ = 'UTC';

const NOW = new Date('2026-11-25T13:40:00Z');
// fixtures hold only the fields a function reads
const job = (fields: object): any => ({
  state: 'PENDING',
  state_in_words: 'waiting in the queue',
  reason_in_words: '',
  nodes: '',
  time_left_seconds: null,
  ...fields
});

test('durations read in seconds, minutes, then hours and minutes', () => {
  expect(formatDuration(45)).toBe('45 s');
  expect(formatDuration(-3)).toBe('0 s');
  expect(formatDuration(725)).toBe('12 min');
  expect(formatDuration(3900)).toBe('1 h 5 min');
  expect(formatDuration(86400)).toBe('24 h');
});

test('time left is said while known, null otherwise', () => {
  expect(formatTimeLeft(725)).toBe('12 min left');
  expect(formatTimeLeft(593)).toBe('9 min left');
  expect(formatTimeLeft(null)).toBe(null);
});

test('a queued job says why it waits', () => {
  const waiting = job({ reason_in_words: 'waiting for free nodes' });
  expect(formatJobState(waiting)).toBe(
    'waiting in the queue: waiting for free nodes'
  );
  expect(formatJobState(job({}))).toBe('waiting in the queue');
});

test('a held job says held, not that it waits in the queue', () => {
  expect(formatJobState(job({ reason_in_words: 'held' }))).toBe('held');
  expect(
    formatJobState(job({ reason_in_words: 'held by an administrator' }))
  ).toBe('held by an administrator');
});

test('a running job says where and how long it has left', () => {
  const running = job({
    state: 'RUNNING',
    state_in_words: 'running',
    nodes: 'vm'
  });
  expect(formatJobState({ ...running, time_left_seconds: 725 })).toBe(
    'running on node vm, 12 min left'
  );
  expect(formatJobState(running)).toBe('running on node vm');
  expect(
    formatJobState({ ...running, nodes: 'host[1-3]', time_left_seconds: 3900 })
  ).toBe('running on nodes host[1-3], 1 h 5 min left');
});

test("an ended job gives the scheduler's words and its reason if any", () => {
  const ended = job({
    state: 'TIMEOUT',
    state_in_words: 'ended at its walltime'
  });
  expect(formatJobState(ended)).toBe('ended at its walltime');
  expect(
    formatJobState({
      ...ended,
      state: 'FAILED',
      state_in_words: 'failed',
      reason_in_words: 'ran out of memory'
    })
  ).toBe('failed (ran out of memory)');
  const unasked = job({
    state: 'SUBMITTED',
    state_in_words: 'submitted; the scheduler has not been asked yet'
  });
  expect(formatJobState(unasked)).toBe(
    'submitted; the scheduler has not been asked yet'
  );
});

test('an estimated start is a local clock reading with how long until then', () => {
  expect(formatEstimatedStart('2026-11-25T14:05:00Z', NOW)).toBe(
    'estimated start 14:05 (in 25 min)'
  );
  expect(formatEstimatedStart('2026-11-25T13:40:30Z', NOW)).toBe(
    'estimated start 13:40 (now)'
  );
  expect(formatEstimatedStart('2026-11-25T13:00:00Z', NOW)).toBe(
    'estimated start 13:00 (now)'
  );
  // another day: its date as the locale writes it ("26 Nov" in en-GB, "Nov 26" in en-US)
  const day = new Date('2026-11-26T08:05:00Z').toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short'
  });
  expect(formatEstimatedStart('2026-11-26T08:05:00Z', NOW)).toBe(
    `estimated start ${day}, 08:05 (in 18 h 25 min)`
  );
  expect(formatEstimatedStart('soon', NOW)).toBe('estimated start soon');
});

test('an estimate asked for a pending job says when and where, or that there is none yet', () => {
  expect(
    formatEstimate(
      { estimated_start: '2026-11-25T14:10:00Z', nodes: 'vm' },
      NOW
    )
  ).toBe('estimated start 14:10 (in 30 min) on node vm');
  expect(formatEstimate({ estimated_start: null, nodes: null }, NOW)).toBe(
    'the scheduler has no estimate yet; ask again in a moment'
  );
});

test('a preview gives its estimated start or why there is none', () => {
  const preview = {
    script: '#!/bin/sh\n',
    checks: [
      { check: 'partition limits', ok: true, message: 'fits partition main' }
    ],
    estimated_start: '2026-11-25T13:40:00Z',
    estimated_nodes: 'vm',
    scheduler_said: null
  };
  expect(formatPreviewStart(preview, NOW)).toBe(
    'estimated start 13:40 (now) on node vm'
  );
  const none = { ...preview, estimated_start: null, estimated_nodes: null };
  expect(formatPreviewStart(none, NOW)).toBe(
    'no estimated start: the scheduler gave none'
  );
  expect(
    formatPreviewStart(
      {
        ...none,
        scheduler_said: 'Requested node configuration is not available'
      },
      NOW
    )
  ).toBe(
    'no estimated start: the scheduler said "Requested node configuration is not available"'
  );
  expect(
    formatPreviewStart(
      {
        ...none,
        checks: [{ check: 'partition limits', ok: false, message: 'over' }]
      },
      NOW
    )
  ).toBe('no estimated start: the request fails a check');
  expect(formatPreviewStart({ ...none, script: null, checks: [] }, NOW)).toBe(
    null
  );
});

test("a preview's engine sets read as jobs of engines", () => {
  expect(formatEngineSets([1], true)).toBe('1 job of 1 engine');
  expect(formatEngineSets([2, 2], true)).toBe('2 jobs of 2 engines');
  expect(formatEngineSets([2, 2, 1], true)).toBe('3 jobs: 2 + 2 + 1 engines');
  expect(formatEngineSets([1, 1], false)).toBe('2 engine sets of 1 engine');
});

const SLURM_LIMITS = {
  max_engines: 4,
  max_walltime_minutes: 1440,
  partitions: [
    {
      name: 'main',
      max_walltime_minutes: 30,
      cores_per_node: 2,
      memory_per_node_gb: 23.5,
      nodes: 1
    },
    {
      name: 'long',
      max_walltime_minutes: null,
      cores_per_node: 96,
      memory_per_node_gb: 512,
      nodes: 40
    },
    { no_name: true },
    'junk'
  ]
};
const option = (name: string, fields = {}): any => ({
  name,
  type: 'integer',
  label: name,
  default: 1,
  help: '',
  ...fields
});

test("partition limits are read from a backend's limits, anything malformed left out", () => {
  const found = partitionLimits(SLURM_LIMITS);
  expect(found.map(p => p.name)).toStrictEqual(['main', 'long']);
  expect(found[0]).toStrictEqual({
    name: 'main',
    maxWalltimeMinutes: 30,
    coresPerNode: 2,
    memoryPerNodeGb: 23.5,
    nodes: 1
  });
  expect(partitionLimits({ max_engines: 4 })).toStrictEqual([]);
  expect(partitionLimits({ max_engines: 4, partitions: 'main' })).toStrictEqual(
    []
  );
});

test('a partition reads as its nodes, per-node resources and time limit', () => {
  const [main, long] = partitionLimits(SLURM_LIMITS);
  expect(formatPartition(main)).toBe(
    '1 node, 2 cores and 23.5 GB per node, at most 30 min'
  );
  expect(formatPartition(long)).toBe(
    '40 nodes, 96 cores and 512 GB per node, no time limit'
  );
});

test("the chosen partition's limits are shown beside walltime, cores and memory", () => {
  const backend: any = {
    name: 'slurm',
    label: '',
    description: '',
    options: [],
    limits: SLURM_LIMITS
  };
  const main = chosenPartition(backend, { partition: 'main' });
  expect(main?.name).toBe('main');
  expect(chosenPartition(backend, { partition: 'gone' })).toBe(undefined);

  const walltime = option('walltime', { minimum: 1, maximum: 1440 });
  expect(optionHint(walltime, main)).toBe(
    '1–1440 · partition main: at most 30'
  );
  expect(optionHint(walltime, undefined)).toBe('1–1440');
  expect(
    optionHint(option('cores_per_engine', { minimum: 1, maximum: 16 }), main)
  ).toBe('1–16 · partition main: 2 per node');
  expect(
    optionHint(
      option('memory_per_engine', {
        type: 'number',
        minimum: 0.1,
        maximum: 64
      }),
      main
    )
  ).toBe('0.1–64 · partition main: 23.5 per node');
  expect(optionHint(option('partition', { type: 'select' }), main)).toBe(
    '1 node, 2 cores and 23.5 GB per node, at most 30 min'
  );
  expect(optionHint(option('account', { type: 'string' }), main)).toBe(null);
  expect(optionHint(option('nice', { maximum: 19 }), undefined)).toBe(
    'at most 19'
  );
});
