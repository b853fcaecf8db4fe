// What the panel shows for values the server may send as null (see the
// nullable fields of jupyter_jasmin/openapi.yaml). Run by `jlpm test`, on the
// CommonJS build of src/ that `tsc -p tests` writes to tests/build/.
const assert = require('node:assert/strict');
const { test } = require('node:test');

const {
  formatCell,
  formatEngineProcess,
  formatVersion
} = require('./build/src/format.js');

test('a registered engine that has not said where it runs is being located, not null', () => {
  const registered = { host: null, pid: null, state: 'running' };
  assert.equal(formatEngineProcess(registered), 'locating…');
});

test('an engine that was never placed and is gone shows a dash', () => {
  assert.equal(
    formatEngineProcess({ host: null, pid: null, state: 'lost' }),
    '–'
  );
});

test('a placed engine shows host:pid, a dash for the part not known', () => {
  assert.equal(
    formatEngineProcess({ host: 'vm1', pid: 42, state: 'running' }),
    'vm1:42'
  );
  assert.equal(
    formatEngineProcess({ host: 'vm1', pid: null, state: 'running' }),
    'vm1:–'
  );
  assert.equal(
    formatEngineProcess({ host: null, pid: 42, state: 'running' }),
    '–:42'
  );
});

test('a dataset of a DRS without versions is unversioned, not null', () => {
  assert.equal(formatVersion(null), 'unversioned');
  assert.equal(formatVersion('v20190627'), 'v20190627');
});

test('an attribute cell is empty for null and text for any JSON value', () => {
  assert.equal(formatCell(null), '');
  assert.equal(formatCell(undefined), '');
  assert.equal(formatCell('K'), 'K');
  assert.equal(formatCell(1), '1');
  assert.equal(formatCell(false), 'false');
  assert.equal(formatCell(['a', 'b']), '["a","b"]');
  assert.equal(formatCell({ a: 1 }), '{"a":1}');
});
