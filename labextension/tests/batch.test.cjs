// What the panel says of batch pools: jobs' states and reasons, time left,
// estimated starts, previews and partition limits. Run by `jlpm test`, on the
// CommonJS build of src/ that `tsc -p tests` writes to tests/build/.
// Times are read in UTC here, so the clock readings below do not depend on the
// machine's time zone (the panel uses the browser's).
process.env.TZ = 'UTC';

const assert = require('node:assert/strict');
const { test } = require('node:test');

const {
  formatDuration,
  formatEngineSets,
  formatEstimate,
  formatEstimatedStart,
  formatJobState,
  formatPreviewStart,
  formatTimeLeft
} = require('./build/src/format.js');
const {
  chosenPartition,
  formatPartition,
  optionHint,
  partitionLimits
} = require('./build/src/limits.js');

const NOW = new Date('2026-11-25T13:40:00Z');
const job = fields => ({
  state: 'PENDING',
  state_in_words: 'waiting in the queue',
  reason_in_words: '',
  nodes: '',
  time_left_seconds: null,
  ...fields
});

test('durations read in seconds, minutes, then hours and minutes', () => {
  assert.equal(formatDuration(45), '45 s');
  assert.equal(formatDuration(-3), '0 s');
  assert.equal(formatDuration(725), '12 min');
  assert.equal(formatDuration(3900), '1 h 5 min');
  assert.equal(formatDuration(86400), '24 h');
});

test('time left is said while known, null otherwise', () => {
  assert.equal(formatTimeLeft(725), '12 min left');
  assert.equal(formatTimeLeft(593), '9 min left');
  assert.equal(formatTimeLeft(null), null);
});

test('a queued job says why it waits', () => {
  const waiting = job({ reason_in_words: 'waiting for free nodes' });
  assert.equal(
    formatJobState(waiting),
    'waiting in the queue: waiting for free nodes'
  );
  assert.equal(formatJobState(job({})), 'waiting in the queue');
});

test('a held job says held, not that it waits in the queue', () => {
  assert.equal(formatJobState(job({ reason_in_words: 'held' })), 'held');
  assert.equal(
    formatJobState(job({ reason_in_words: 'held by an administrator' })),
    'held by an administrator'
  );
});

test('a running job says where and how long it has left', () => {
  const running = job({
    state: 'RUNNING',
    state_in_words: 'running',
    nodes: 'vm'
  });
  assert.equal(
    formatJobState({ ...running, time_left_seconds: 725 }),
    'running on node vm, 12 min left'
  );
  assert.equal(formatJobState(running), 'running on node vm');
  assert.equal(
    formatJobState({ ...running, nodes: 'host[1-3]', time_left_seconds: 3900 }),
    'running on nodes host[1-3], 1 h 5 min left'
  );
});

test("an ended job gives the scheduler's words and its reason if any", () => {
  const ended = job({
    state: 'TIMEOUT',
    state_in_words: 'ended at its walltime'
  });
  assert.equal(formatJobState(ended), 'ended at its walltime');
  assert.equal(
    formatJobState({
      ...ended,
      state: 'FAILED',
      state_in_words: 'failed',
      reason_in_words: 'ran out of memory'
    }),
    'failed (ran out of memory)'
  );
  const unasked = job({
    state: 'SUBMITTED',
    state_in_words: 'submitted; the scheduler has not been asked yet'
  });
  assert.equal(
    formatJobState(unasked),
    'submitted; the scheduler has not been asked yet'
  );
});

test('an estimated start is a local clock reading with how long until then', () => {
  assert.equal(
    formatEstimatedStart('2026-11-25T14:05:00Z', NOW),
    'estimated start 14:05 (in 25 min)'
  );
  assert.equal(
    formatEstimatedStart('2026-11-25T13:40:30Z', NOW),
    'estimated start 13:40 (now)'
  );
  assert.equal(
    formatEstimatedStart('2026-11-25T13:00:00Z', NOW),
    'estimated start 13:00 (now)'
  );
  // another day: its date as the locale writes it ("26 Nov" in en-GB, "Nov 26" in en-US)
  const day = new Date('2026-11-26T08:05:00Z').toLocaleDateString(undefined, {
    day: 'numeric',
    month: 'short'
  });
  assert.equal(
    formatEstimatedStart('2026-11-26T08:05:00Z', NOW),
    `estimated start ${day}, 08:05 (in 18 h 25 min)`
  );
  assert.equal(formatEstimatedStart('soon', NOW), 'estimated start soon');
});

test('an estimate asked for a pending job says when and where, or that there is none yet', () => {
  assert.equal(
    formatEstimate(
      { estimated_start: '2026-11-25T14:10:00Z', nodes: 'vm' },
      NOW
    ),
    'estimated start 14:10 (in 30 min) on node vm'
  );
  assert.equal(
    formatEstimate({ estimated_start: null, nodes: null }, NOW),
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
  assert.equal(
    formatPreviewStart(preview, NOW),
    'estimated start 13:40 (now) on node vm'
  );
  const none = { ...preview, estimated_start: null, estimated_nodes: null };
  assert.equal(
    formatPreviewStart(none, NOW),
    'no estimated start: the scheduler gave none'
  );
  assert.equal(
    formatPreviewStart(
      {
        ...none,
        scheduler_said: 'Requested node configuration is not available'
      },
      NOW
    ),
    'no estimated start: the scheduler said "Requested node configuration is not available"'
  );
  assert.equal(
    formatPreviewStart(
      {
        ...none,
        checks: [{ check: 'partition limits', ok: false, message: 'over' }]
      },
      NOW
    ),
    'no estimated start: the request fails a check'
  );
  assert.equal(
    formatPreviewStart({ ...none, script: null, checks: [] }, NOW),
    null
  );
});

test("a preview's engine sets read as jobs of engines", () => {
  assert.equal(formatEngineSets([1], true), '1 job of 1 engine');
  assert.equal(formatEngineSets([2, 2], true), '2 jobs of 2 engines');
  assert.equal(formatEngineSets([2, 2, 1], true), '3 jobs: 2 + 2 + 1 engines');
  assert.equal(formatEngineSets([1, 1], false), '2 engine sets of 1 engine');
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
const option = (name, fields = {}) => ({
  name,
  type: 'integer',
  label: name,
  default: 1,
  help: '',
  ...fields
});

test("partition limits are read from a backend's limits, anything malformed left out", () => {
  const found = partitionLimits(SLURM_LIMITS);
  assert.deepEqual(
    found.map(p => p.name),
    ['main', 'long']
  );
  assert.deepEqual(found[0], {
    name: 'main',
    maxWalltimeMinutes: 30,
    coresPerNode: 2,
    memoryPerNodeGb: 23.5,
    nodes: 1
  });
  assert.deepEqual(partitionLimits({ max_engines: 4 }), []);
  assert.deepEqual(partitionLimits({ max_engines: 4, partitions: 'main' }), []);
});

test('a partition reads as its nodes, per-node resources and time limit', () => {
  const [main, long] = partitionLimits(SLURM_LIMITS);
  assert.equal(
    formatPartition(main),
    '1 node, 2 cores and 23.5 GB per node, at most 30 min'
  );
  assert.equal(
    formatPartition(long),
    '40 nodes, 96 cores and 512 GB per node, no time limit'
  );
});

test("the chosen partition's limits are shown beside walltime, cores and memory", () => {
  const backend = {
    name: 'slurm',
    label: '',
    description: '',
    options: [],
    limits: SLURM_LIMITS
  };
  const main = chosenPartition(backend, { partition: 'main' });
  assert.equal(main.name, 'main');
  assert.equal(chosenPartition(backend, { partition: 'gone' }), undefined);

  const walltime = option('walltime', { minimum: 1, maximum: 1440 });
  assert.equal(
    optionHint(walltime, main),
    '1–1440 · partition main: at most 30'
  );
  assert.equal(optionHint(walltime, undefined), '1–1440');
  assert.equal(
    optionHint(option('cores_per_engine', { minimum: 1, maximum: 16 }), main),
    '1–16 · partition main: 2 per node'
  );
  assert.equal(
    optionHint(
      option('memory_per_engine', {
        type: 'number',
        minimum: 0.1,
        maximum: 64
      }),
      main
    ),
    '0.1–64 · partition main: 23.5 per node'
  );
  assert.equal(
    optionHint(option('partition', { type: 'select' }), main),
    '1 node, 2 cores and 23.5 GB per node, at most 30 min'
  );
  assert.equal(optionHint(option('account', { type: 'string' }), main), null);
  assert.equal(
    optionHint(option('nice', { maximum: 19 }), undefined),
    'at most 19'
  );
});
