// What the "Data used" section says of a kernel's citations. Run by `jlpm test`,
// on the CommonJS build of src/ that `tsc -p tests` writes to tests/build/.
import {
  describeCitation,
  emptyMessage,
  sameCitations
} from '../citations-text';

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
  expect(describeCitation(citation())).toBe(
    'version v20190311 · holding cmip6-sample · 7 files · 2 tracking ids'
  );
  expect(
    describeCitation(citation({ version: null, files: 1, tracking_ids: ['x'] }))
  ).toBe('no version · holding cmip6-sample · 1 file · 1 tracking id');
  expect(describeCitation(citation({ tracking_ids: [] }))).toBe(
    'version v20190311 · holding cmip6-sample · 7 files · 0 tracking ids'
  );
});

test('an empty list says why it is empty', () => {
  expect(emptyMessage(null, false)).toMatch(/Open a notebook/);
  expect(emptyMessage('a.ipynb', false)).toBe('a.ipynb has no running kernel.');
  expect(emptyMessage('a.ipynb', true)).toMatch(
    /^a\.ipynb has used no dataset yet/
  );
});

test('replies that list the same text are the same (no re-render)', () => {
  const reply = (text: string, kernel = 'k1') => ({
    kernel_id: kernel,
    datasets: [],
    text
  });
  expect(sameCitations(null, null)).toBeTruthy();
  expect(sameCitations(reply('- a'), reply('- a'))).toBeTruthy();
  expect(!sameCitations(reply('- a'), reply('- a\n- b'))).toBeTruthy();
  expect(!sameCitations(reply('- a', 'k1'), reply('- a', 'k2'))).toBeTruthy();
  expect(!sameCitations(null, reply('- a'))).toBeTruthy();
});
