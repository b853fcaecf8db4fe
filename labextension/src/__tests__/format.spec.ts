// What the panel shows for values the server may send as null (see the
// nullable fields of jupyter_jasmin/openapi.yaml). Run by `jlpm test`, on the
// CommonJS build of src/ that `tsc -p tests` writes to tests/build/.
import { formatCell, formatEngineProcess, formatVersion } from '../format';

test('a registered engine that has not said where it runs is being located, not null', () => {
  const registered = { host: null, pid: null, state: 'running' as const };
  expect(formatEngineProcess(registered)).toBe('locating…');
});

test('an engine that was never placed and is gone shows a dash', () => {
  expect(formatEngineProcess({ host: null, pid: null, state: 'lost' })).toBe(
    '–'
  );
});

test('a placed engine shows host:pid, a dash for the part not known', () => {
  expect(formatEngineProcess({ host: 'vm1', pid: 42, state: 'running' })).toBe(
    'vm1:42'
  );
  expect(
    formatEngineProcess({ host: 'vm1', pid: null, state: 'running' })
  ).toBe('vm1:–');
  expect(formatEngineProcess({ host: null, pid: 42, state: 'running' })).toBe(
    '–:42'
  );
});

test('a dataset of a DRS without versions is unversioned, not null', () => {
  expect(formatVersion(null)).toBe('unversioned');
  expect(formatVersion('v20190627')).toBe('v20190627');
});

test('an attribute cell is empty for null and text for any JSON value', () => {
  expect(formatCell(null)).toBe('');
  expect(formatCell(undefined)).toBe('');
  expect(formatCell('K')).toBe('K');
  expect(formatCell(1)).toBe('1');
  expect(formatCell(false)).toBe('false');
  expect(formatCell(['a', 'b'])).toBe('["a","b"]');
  expect(formatCell({ a: 1 })).toBe('{"a":1}');
});
