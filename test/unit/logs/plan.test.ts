import { describe, expect, it } from 'vitest';
import { buildGenerations, type ShippedGeneration } from '#shared/logs/generations.ts';
import { judge, type ReadFailure, readsByArchive } from '#shared/logs/plan.ts';
import { selectGenerations, wholeGenerationsLookup } from '#shared/logs/select.ts';
import { GEN, gap, obj, PACK, seg } from './fixtures.ts';

const shipped = (members: Parameters<typeof buildGenerations>[0]) =>
  buildGenerations(members)[0] as ShippedGeneration;
const none = new Map<string, ReadFailure>();

describe('judging a generation once read', () => {
  it('a whole generation is written', () => {
    const g = shipped([seg(0, 'ab'), seg(2, 'cd')]);
    expect(judge(g, { unreadable: none }, { allowGaps: false })).toMatchObject({
      gaps: [],
      failures: [],
      write: true,
    });
  });

  it('a hole refuses the generation unless gaps are allowed, and names its range either way', () => {
    const g = shipped([seg(0, 'ab'), seg(6, 'cd')]);
    const strict = judge(g, { unreadable: none }, { allowGaps: false });
    expect(strict.gaps).toEqual([{ start: 2, end: 6, why: 'in no archive' }]);
    expect(strict.write).toBe(false);
    expect(judge(g, { unreadable: none }, { allowGaps: true }).write).toBe(true);
  });

  it('a segment whose archive is missing becomes a gap over its range, saying why', () => {
    const lostOne = seg(2, 'cd');
    const g = shipped([seg(0, 'ab'), lostOne, seg(4, 'ef')]);
    const unreadable = new Map([[lostOne.id, { kind: 'missing' as const, why: `no such archive: ${PACK}` }]]);
    expect(judge(g, { unreadable }, { allowGaps: false })).toMatchObject({
      gaps: [{ start: 2, end: 4, why: `no such archive: ${PACK}` }],
      write: false,
    });
  });

  it('neighbouring segments lost for one reason are one gap; for different reasons, one each', () => {
    const [a, b, c] = [seg(0, 'ab'), seg(2, 'cd'), seg(4, 'ef')];
    const g = shipped([a, b, c, seg(6, 'gh')]);
    const gone = { kind: 'missing' as const, why: `no such archive: ${PACK}` };
    const unreadable = new Map([
      [a.id, gone],
      [b.id, gone],
      [c.id, { kind: 'missing' as const, why: 'cold' }],
    ]);
    expect(judge(g, { unreadable }, { allowGaps: false }).gaps).toEqual([
      { start: 0, end: 4, why: gone.why },
      { start: 4, end: 6, why: 'cold' },
    ]);
  });

  it('a missing segment covered by another readable one leaves no gap', () => {
    const inner = seg(2, 'cd');
    const g = shipped([seg(0, 'abcdef'), inner]);
    const unreadable = new Map([[inner.id, { kind: 'missing' as const, why: 'gone' }]]);
    expect(judge(g, { unreadable }, { allowGaps: false })).toMatchObject({ gaps: [], write: true });
  });

  it('recorded losses are gaps with their reason', () => {
    const g = shipped([seg(0, 'ab'), gap(2, 5, 'deleted')]);
    expect(judge(g, { unreadable: none }, { allowGaps: false }).gaps).toEqual([
      { start: 2, end: 5, why: 'lost on the host (deleted)' },
    ]);
  });

  it('an integrity failure or a disagreement is never written, gaps allowed or not', () => {
    const bad = seg(2, 'cd');
    const g = shipped([seg(0, 'ab'), bad]);
    const unreadable = new Map([[bad.id, { kind: 'failed' as const, why: `${PACK}: member fails` }]]);
    expect(judge(g, { unreadable }, { allowGaps: true })).toMatchObject({
      failures: [`${PACK}: member fails`],
      write: false,
    });
    expect(
      judge(shipped([seg(0, 'ab')]), { unreadable: none, disagreements: ['differ'] }, { allowGaps: true })
        .write,
    ).toBe(false);
    const clash = shipped([seg(0, 'ab'), seg(0, 'xy')]);
    expect(judge(clash, { unreadable: none }, { allowGaps: true }).failures).toEqual([
      expect.stringMatching(/hold different bytes \[0, 2\)/),
    ]);
  });

  it('with gaps allowed, a generation none of whose bytes exist is still not written', () => {
    const only = seg(0, 'ab');
    const g = shipped([only]);
    const unreadable = new Map([[only.id, { kind: 'missing' as const, why: 'gone' }]]);
    expect(judge(g, { unreadable }, { allowGaps: true }).write).toBe(false);
  });

  it('an object member that is missing is a gap over all of it; one that fails is a failure', () => {
    const [g] = buildGenerations([obj('web/a.log', 'hello', '2026-11-26T00:00:00.000Z')]);
    if (g?.kind !== 'object') throw new Error('expected an object generation');
    const missing = new Map([[g.member.id, { kind: 'missing' as const, why: 'gone' }]]);
    expect(judge(g, { unreadable: missing }, { allowGaps: true })).toMatchObject({
      gaps: [{ start: 0, end: 5, why: 'gone' }],
      write: false,
    });
    const tampered = new Map([[g.member.id, { kind: 'failed' as const, why: 'fails its SHA-256' }]]);
    expect(judge(g, { unreadable: tampered }, { allowGaps: true })).toMatchObject({
      gaps: [],
      failures: ['fails its SHA-256'],
      write: false,
    });
  });

  it('reads are grouped by archive, gaps included', () => {
    const a = seg(0, 'ab', { archive: 'pack/one' });
    const b = gap(2, 4, 'deleted', { archive: 'pack/two' });
    const reads = readsByArchive(buildGenerations([a, b]));
    expect([...reads].map(([k, ms]) => [k, ms.map((m) => m.id)])).toEqual([
      ['pack/one', [a.id]],
      ['pack/two', [b.id]],
    ]);
  });
});

describe('selecting generations', () => {
  const gens = buildGenerations([
    seg(0, 'ab', { minute: 0 }),
    seg(2, 'cd', { minute: 40 }),
    seg(0, 'x', { path: '/var/log/other.log', minute: 10 }),
    obj('web/app/a.log', 'v1', '2026-11-26T08:20:00.000Z'),
  ]);

  it('by path glob against the host path, or an object key below its source', () => {
    expect(selectGenerations(gens, { path: '/var/log/app*' }).map((g) => g.path)).toEqual([
      '/var/log/app.log',
    ]);
    expect(selectGenerations(gens, { path: 'app/*' }).map((g) => g.path)).toEqual(['app/a.log']);
  });

  it('by time: a generation touched in the range is taken whole', () => {
    const range = { from: new Date('2026-11-26T08:30:00Z'), to: new Date('2026-11-26T08:45:00Z') };
    const picked = selectGenerations(gens, range);
    expect(picked.map((g) => g.path)).toEqual(['/var/log/app.log']);
    expect((picked[0] as ShippedGeneration).segments).toHaveLength(2);
    // Taken from a ranged look-up, it is looked up again from its first sight, with no end.
    expect(wholeGenerationsLookup(picked, range)).toEqual({ from: new Date(`2026-11-26T08:00:00Z`) });
    expect(GEN.startsWith('20261126T080000Z')).toBe(true);
    expect(wholeGenerationsLookup(picked, {})).toBeUndefined();
    expect(
      selectGenerations(gens, { from: new Date('2026-11-26T08:15:00Z'), to: range.from }).map((g) => g.kind),
    ).toEqual(['object']);
  });
});
