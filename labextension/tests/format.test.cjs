// What the panel shows for values the server may send as null (see the
// nullable fields of jupyter_jasmin/openapi.yaml). Run by `jlpm test`, on the
// CommonJS build of src/ that `tsc -p tests` writes to tests/build/.
const assert = require('node:assert/strict');
const { test } = require('node:test');

const { formatCell } = require('./build/src/format.js');

test('an attribute cell is empty for null and text for any JSON value', () => {
  assert.equal(formatCell(null), '');
  assert.equal(formatCell(undefined), '');
  assert.equal(formatCell('K'), 'K');
  assert.equal(formatCell(1), '1');
  assert.equal(formatCell(false), 'false');
  assert.equal(formatCell(['a', 'b']), '["a","b"]');
  assert.equal(formatCell({ a: 1 }), '{"a":1}');
});
