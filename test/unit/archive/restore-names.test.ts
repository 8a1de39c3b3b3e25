import { describe, expect, it } from 'vitest';
import { fitSegment, keySegments, MAX_SEGMENT_BYTES, restoreNames } from '#shared/archive/restore-names.ts';

const at = (iso: string) => new Date(iso);
const item = (originalKey: string, modified: string, id = '0123456789abcdef') => ({
  originalKey,
  modified: at(modified),
  id,
});
const paths = (items: ReturnType<typeof item>[]) => restoreNames(items).map((n) => n.segments.join('/'));

describe('restore names', () => {
  it('keeps the plain name of a path only one archive restores to', () => {
    expect(restoreNames([item('web/app/a.log', '2026-11-24T10:00:00Z')])).toEqual([
      { segments: ['web', 'app', 'a.log'], renamed: false, shortened: false },
    ]);
  });

  it('gives every archive of a collapsing path its modification time, UTC, to the second', () => {
    const items = [
      item('src//a.log', '2026-11-24T10:00:00.400Z', 'aaaaaaaa00000000'),
      item('src/a.log', '2026-11-24T09:59:59Z', 'bbbbbbbb00000000'),
      item('src/./a.log', '2026-11-23T23:00:00+02:00', 'cccccccc00000000'),
      item('src/b.log', '2026-11-24T10:00:00Z'),
    ];
    expect(paths(items)).toEqual([
      'src/a.log.20261124T100000Z',
      'src/a.log.20261124T095959Z',
      'src/a.log.20261123T210000Z',
      'src/b.log',
    ]);
    expect(restoreNames(items).map((n) => n.renamed)).toEqual([true, true, true, false]);
  });

  it('adds the first 8 hex digits of the archive id only where two versions share a second', () => {
    const items = [
      item('src/a.log', '2026-11-24T10:00:00.100Z', '1111111122222222'),
      item('src/a.log', '2026-11-24T10:00:00.900Z', '3333333344444444'),
      item('src/a.log', '2026-11-24T10:00:01Z', '5555555566666666'),
    ];
    expect(paths(items)).toEqual([
      'src/a.log.20261124T100000Z-11111111',
      'src/a.log.20261124T100000Z-33333333',
      'src/a.log.20261124T100001Z',
    ]);
  });

  it('is stable: the same archives in another order get the same names', () => {
    const items = [
      item('src/a.log', '2026-11-24T10:00:00Z', '1111111122222222'),
      item('src/a.log', '2026-11-24T10:00:00Z', '3333333344444444'),
      item('src/a.log', '2026-11-25T00:00:00Z', '5555555566666666'),
    ];
    const forward = paths(items);
    expect(paths([...items].reverse())).toEqual([...forward].reverse());
    expect(new Set(forward).size).toBe(3);
  });

  it('never gives two archives one name, even when a key really ends in a version stamp', () => {
    const items = [
      item('src/a.log', '2026-11-24T10:00:00Z', '1111111122222222'),
      item('src/a.log', '2026-11-25T10:00:00Z', '3333333344444444'),
      item('src/a.log.20261124T100000Z', '2026-11-26T00:00:00Z', '5555555566666666'),
    ];
    const names = paths(items);
    expect(new Set(names).size).toBe(3);
    expect(names[0]).toBe('src/a.log.20261124T100000Z-1111111122222222');
    expect(names[2]).toBe('src/a.log.20261124T100000Z-5555555566666666');
  });

  it('cuts a segment over 255 bytes on a character boundary, keeps the suffix, and keeps cut names apart', () => {
    const long = 'é'.repeat(200);
    const [plain, v1, v2, other] = restoreNames([
      item(`src/${long}/x.log`, '2026-11-24T10:00:00Z'),
      item(`src/${long}.log`, '2026-11-24T10:00:00Z', '1111111122222222'),
      item(`src/${long}.log`, '2026-11-25T10:00:00Z', '3333333344444444'),
      item(`src/${long}.lag`, '2026-11-24T10:00:00Z'),
    ]);
    for (const n of [plain, v1, v2, other]) {
      expect(n?.shortened).toBe(true);
      for (const s of n?.segments ?? []) {
        expect(Buffer.byteLength(s)).toBeLessThanOrEqual(MAX_SEGMENT_BYTES);
        expect(s).not.toContain('\uFFFD');
      }
    }
    expect(plain?.segments[2]).toBe('x.log');
    expect(v1?.segments[1]).toMatch(/^(é)+~[0-9a-f]{16}\.20261124T100000Z$/);
    expect(v2?.segments[1]).toMatch(/\.20261125T100000Z$/);
    expect(other?.segments[1]).not.toBe(v1?.segments[1]?.replace(/\.20261124T100000Z$/, ''));
  });

  it('leaves a segment that fits alone', () => {
    const name = 'a'.repeat(MAX_SEGMENT_BYTES);
    expect(fitSegment(name)).toEqual({ name, shortened: false });
    expect(Buffer.byteLength(fitSegment(`${name}b`).name)).toBe(MAX_SEGMENT_BYTES);
  });

  it('drops empty and . segments, and refuses a key that leads outside or names nothing', () => {
    expect(keySegments('src//x/./y/../a.log')).toEqual(['src', 'x', 'a.log']);
    expect(() => keySegments('src/../../etc/passwd')).toThrow(/outside/);
    expect(() => keySegments('./')).toThrow(/names no file/);
  });

  it('stamps to the second in UTC, whatever the zone the time was given in', () => {
    const [name] = restoreNames([
      item('src/a.log', '2026-01-02T03:04:05.999+01:00', '1111111122222222'),
      item('src/a.log', '2026-01-02T03:04:06+01:00', '3333333344444444'),
    ]);
    expect(name?.segments).toEqual(['src', 'a.log.20260102T020405Z']);
  });
});
