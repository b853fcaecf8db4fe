// What the "Data used" section says of a kernel's citations. Run by `jlpm test`,
// on the CommonJS build of src/ that `tsc -p tests` writes to tests/build/.
const assert = require('node:assert/strict');
const { test } = require('node:test');

const {
  describeCitation,
  emptyMessage,
  sameCitations
} = require('./build/src/citations-text.js');

const MIROC =
  'CMIP6.CMIP.MIROC.MIROC6.historical.r1i1p1f1.Amon.ta.gn.v20190311';
const citation = (fields = {}) => ({
  holding: 'cmip6-sample',
  id: MIROC,
  version: 'v20190311',
  files: 7,
  tracking_ids: ['hdl:21.14100/a', 'hdl:21.14100/b'],
  ...fields
});

test('a dataset used says its version, holding, files and tracking ids', () => {
  assert.equal(
    describeCitation(citation()),
    'version v20190311 · holding cmip6-sample · 7 files · 2 tracking ids'
  );
  assert.equal(
    describeCitation(
      citation({ version: null, files: 1, tracking_ids: ['x'] })
    ),
    'no version · holding cmip6-sample · 1 file · 1 tracking id'
  );
  assert.equal(
    describeCitation(citation({ tracking_ids: [] })),
    'version v20190311 · holding cmip6-sample · 7 files · 0 tracking ids'
  );
});

test('an empty list says why it is empty', () => {
  assert.match(emptyMessage(null, false), /Open a notebook/);
  assert.equal(
    emptyMessage('a.ipynb', false),
    'a.ipynb has no running kernel.'
  );
  assert.match(
    emptyMessage('a.ipynb', true),
    /^a\.ipynb has used no dataset yet/
  );
});

test('replies that list the same text are the same (no re-render)', () => {
  const reply = (text, kernel = 'k1') => ({
    kernel_id: kernel,
    datasets: [],
    text
  });
  assert.ok(sameCitations(null, null));
  assert.ok(sameCitations(reply('- a'), reply('- a')));
  assert.ok(!sameCitations(reply('- a'), reply('- a\n- b')));
  assert.ok(!sameCitations(reply('- a', 'k1'), reply('- a', 'k2')));
  assert.ok(!sameCitations(null, reply('- a')));
});
