import { describe, expect, it } from 'vitest';
import { buildGenerations, missingBatches, type ShippedGeneration } from '#shared/logs/generations.ts';
import { fromLedgerItem, fromPackEntry, idMatches, v1ObjectMember } from '#shared/logs/members.ts';
import { gap, obj, seg } from './fixtures.ts';

const one = (members: Parameters<typeof buildGenerations>[0]) => {
  const gens = buildGenerations(members);
  expect(gens).toHaveLength(1);
  return gens[0] as ShippedGeneration;
};

describe('the log model: generations from members', () => {
  it('segments in order make one whole generation', () => {
    const g = one([seg(0, 'a\n', { minute: 0 }), seg(2, 'bb\n', { minute: 15, prevMinute: 0 })]);
    expect(g).toMatchObject({
      kind: 'shipped',
      source: 'web',
      path: '/var/log/app.log',
      bytes: 5,
      extent: 5,
      holes: [],
      lost: [],
      overlaps: [],
      firstTime: '2026-11-26T08:00:00.000Z',
      lastTime: '2026-11-26T08:15:00.000Z',
      mode: 0o640,
    });
    expect(g.segments.map((s) => s.start)).toEqual([0, 2]);
  });

  it('segments out of order are put in byte order', () => {
    const g = one([seg(2, 'bb\n', { minute: 15 }), seg(5, 'c\n', { minute: 30 }), seg(0, 'a\n')]);
    expect(g.segments.map((s) => [s.start, s.end])).toEqual([
      [0, 2],
      [2, 5],
      [5, 7],
    ]);
    expect(g.holes).toEqual([]);
  });

  it('a hole in the middle is named with its byte range', () => {
    const g = one([seg(0, 'aaaa'), seg(10, 'bbbb', { minute: 30 })]);
    expect(g.holes).toEqual([{ start: 4, end: 10 }]);
    expect(g).toMatchObject({ bytes: 8, extent: 14 });
  });

  it('a generation whose first bytes are in no member has a hole from byte 0', () => {
    expect(one([seg(6, 'tail\n')]).holes).toEqual([{ start: 0, end: 6 }]);
  });

  it('overlapping segments are paired for a byte check; the same range with two digests cannot agree', () => {
    const a = seg(0, 'abcdef');
    const b = seg(4, 'efgh', { minute: 15 });
    const c = seg(4, 'XXgh', { minute: 30 });
    const g = one([a, b, c]);
    const pairs = g.overlaps.map((o) => [[o.a.id, o.b.id].sort().join('+'), o.start, o.end, o.disagrees]);
    const pair = (x: { id: string }, y: { id: string }) => [x.id, y.id].sort().join('+');
    expect(pairs).toHaveLength(3);
    expect(pairs).toEqual(
      expect.arrayContaining([
        [pair(a, b), 4, 6, false],
        [pair(a, c), 4, 6, false],
        [pair(b, c), 4, 8, true],
      ]),
    );
    expect(g).toMatchObject({ bytes: 8, extent: 8, holes: [] });
  });

  it('a recorded gap is lost, not a hole; the parts a segment holds after all are neither', () => {
    const g = one([
      seg(0, 'aaaa'),
      gap(4, 10, 'truncated', { minute: 15 }),
      gap(8, 12, 'unconfirmed', { minute: 30 }),
      seg(10, 'bb', { minute: 30 }),
    ]);
    expect(g.holes).toEqual([]);
    expect(g.lost.map((l) => [l.start, l.end, l.reason])).toEqual([[4, 10, 'truncated']]);
    expect(g.extent).toBe(12);
  });

  it('a member recorded twice (ledger and pack index) counts once; the later record wins', () => {
    const s = seg(0, 'aaaa');
    const g = one([{ ...s, archive: 'pack/from-ledger' }, s]);
    expect(g.segments).toHaveLength(1);
    expect(g.archives).toEqual([s.archive]);
  });

  it('different paths, generations and sources are different generations, in order', () => {
    const gens = buildGenerations([
      seg(0, 'x', { path: '/var/log/b.log' }),
      seg(0, 'y', { generation: '20261126T090000Z-0a1b2c3d' }),
      seg(0, 'z'),
      seg(0, 'w', { source: 'api' }),
    ]);
    expect(gens.map((g) => [g.source, g.path, g.generation])).toEqual([
      ['api', '/var/log/app.log', '20261126T080000Z-0a1b2c3d'],
      ['web', '/var/log/app.log', '20261126T080000Z-0a1b2c3d'],
      ['web', '/var/log/app.log', '20261126T090000Z-0a1b2c3d'],
      ['web', '/var/log/b.log', '20261126T080000Z-0a1b2c3d'],
    ]);
  });

  it('each object member is a generation of its own: a second version of a key is a second generation', () => {
    const gens = buildGenerations([
      obj('web/app/a.log', 'v2', '2026-11-26T10:00:00.000Z'),
      obj('web/app/a.log', 'v1', '2026-11-25T10:00:00.000Z'),
    ]);
    expect(gens.map((g) => [g.kind, g.path, g.generation, g.bytes])).toEqual([
      ['object', 'app/a.log', '20261125T100000Z', 2],
      ['object', 'app/a.log', '20261126T100000Z', 2],
    ]);
  });

  it('a v1 archive is an object member, dated by what its context proves', () => {
    const m = v1ObjectMember(
      'archive/web/2026-11-20/app/a.log.0123456789abcdef.lv',
      {
        source: 'web',
        bucket: 'ingest',
        key: 'web/app/a.log',
        sha256: 'a'.repeat(64),
        modified: new Date('2026-11-20T00:00:00Z'),
      },
      42,
    );
    expect(idMatches(m)).toBe(true);
    const [g] = buildGenerations([m]);
    expect(g).toMatchObject({
      kind: 'object',
      path: 'app/a.log',
      generation: '20261120T000000Z',
      archives: ['archive/web/2026-11-20/app/a.log.0123456789abcdef.lv'],
    });
  });
});

describe('missing batches', () => {
  it('a batch named as prev whose members are all absent is missing: the tail it held is unknown', () => {
    const members = [seg(0, 'aaaa', { minute: 0 }), seg(0, 'x', { path: '/b', minute: 30, prevMinute: 15 })];
    expect(missingBatches(members)).toEqual([
      {
        source: 'web',
        batch: '20261126T081500Z-abababababababab',
        namedBy: ['20261126T083000Z-abababababababab'],
      },
    ]);
    // The generation itself looks whole: only the chain shows something is missing.
    expect(buildGenerations(members).every((g) => g.kind !== 'shipped' || g.holes.length === 0)).toBe(true);
  });

  it('a present prev is not missing, whichever member of it is present', () => {
    const members = [gap(0, 4, 'deleted', { minute: 15 }), seg(0, 'x', { minute: 30, prevMinute: 15 })];
    expect(missingBatches(members)).toEqual([]);
  });

  it('a prev older than the look-up is not missing, only not looked up', () => {
    const members = [seg(0, 'x', { minute: 30, prevMinute: 15 })];
    expect(missingBatches(members, { from: new Date('2026-11-26T08:20:00Z') })).toEqual([]);
    expect(missingBatches(members, { from: new Date('2026-11-26T08:15:00Z') })).toHaveLength(1);
  });
});

describe('members from the ledger and from pack indexes', () => {
  it('strip their bookkeeping, keep what they are, and prove their id', () => {
    const s = seg(0, 'abc');
    const { archive, ...description } = s;
    const item = { ...description, sk: `${s.time}#${s.id}`, archive, attempt: 'attempt#x', policy: 'p' };
    expect(fromLedgerItem({ ...item, offset: 10, length: 3 } as never)).toEqual(s);
    expect(fromPackEntry(archive, { ...description, group: 0, offset: 0, length: 3 })).toEqual(s);
    expect(idMatches(s)).toBe(true);
    expect(idMatches({ ...s, path: '/etc/shadow' })).toBe(false);
    expect(idMatches(gap(0, 1, 'deleted'))).toBe(true);
    expect(idMatches({ ...gap(0, 1, 'deleted'), end: 2 })).toBe(false);
  });
});
