import { describe, expect, it } from 'vitest';
import {
  ENTRY_TTL_GRACE_DAYS,
  entriesFor,
  entryIdsOf,
  entryTime,
  isEntryId,
  membersOfEntry,
  packExpired,
  parseEntryItem,
} from '#shared/archive/ledger-entries.ts';
import { ledgerItemKind, parseHolder } from '#shared/archive/member-ledger.ts';
import type { MemberDescription, PackMember } from '#shared/archive/pack-format.ts';

const pack = 'pack/instances/2026-11-26/20261126T073500Z-0123456789abcdef-5.lvp';
const batchA = '20261126T073000Z-0123456789abcdef';
const batchB = '20261126T073000Z-fedcba9876543210';
const hex = (n: number) => n.toString(16).padStart(32, '0');

function segment(n: number, source: string, batch: string, time = '2026-11-26T07:30:00Z'): MemberDescription {
  return {
    id: hex(n),
    kind: 'segment',
    source,
    time,
    sha256: 'b'.repeat(64),
    size: 5,
    bucket: 'ingest-bucket',
    key: `${source}/_logvault/ship/${batch}.lvb`,
    path: `/var/log/app-${n}.log`,
    generation: '20261126T070000Z-0a1b2c3d',
    start: 0,
    end: 5,
    batch,
    prev: null,
  };
}

const object = (n: number, source: string, revision: string): MemberDescription => ({
  id: hex(n),
  kind: 'object',
  source,
  time: '2026-11-26T07:31:00.000Z',
  sha256: 'c'.repeat(64),
  size: 10,
  bucket: 'ingest-bucket',
  key: `${source}/app.log`,
  revision,
  modified: '2026-11-26T07:31:00.000Z',
  eTag: '"e"',
});

const placed = (m: MemberDescription, i: number): PackMember =>
  ({ ...m, group: 0, offset: i * 5, length: m.size }) as PackMember;

describe('pack entries', () => {
  // Five logs of one shipper run, two of another host's, and two versions of one object.
  const members = [
    ...[1, 2, 3, 4, 5].map((n) => segment(n, 'i-0abc', batchA)),
    segment(6, 'i-0def', batchB),
    segment(7, 'i-0def', batchB),
    object(8, 'web', 'v1'),
    object(9, 'web', 'v2'),
  ];
  const expires = new Date('2027-11-26T00:00:00.000Z');
  const entries = entriesFor(pack, members, expires);

  it('records one entry per source and ingest object, not one per member', () => {
    expect(entries).toHaveLength(4);
    expect(entries.map((e) => e.source)).toEqual(['i-0abc', 'i-0def', 'web', 'web']);
    for (const e of entries) {
      expect(isEntryId(e.id)).toBe(true);
      expect(e.archive).toBe(pack);
      expect(parseEntryItem(JSON.parse(JSON.stringify(e)))).toEqual(e);
    }
    // Writing the same members again gives the same entries: a retry overwrites, never adds.
    expect(
      entriesFor(pack, [...members].reverse(), expires)
        .map((e) => e.id)
        .sort(),
    ).toEqual(entries.map((e) => e.id).sort());
    expect(entryIdsOf(pack, members)).toEqual(entries.map((e) => e.id));
  });

  it('sorts an entry by its members’ time, and expires it a grace period after its pack', () => {
    const first = entries[0];
    expect(first?.sk.startsWith('2026-11-26T07:30:00.000Z#')).toBe(true);
    expect(entryTime(first as NonNullable<typeof first>)).toBe('2026-11-26T07:30:00.000Z');
    expect(first?.ttl).toBe(expires.getTime() / 1000 + ENTRY_TTL_GRACE_DAYS * 86_400);
    expect(entriesFor(pack, members, null)[0]).not.toHaveProperty('ttl');
  });

  it('says its pack is past its expiry only once that expiry has passed, and never while held', () => {
    const [first] = entries;
    if (!first) throw new Error('no entry');
    expect(packExpired(first, new Date(expires.getTime() - 1000))).toBe(false);
    expect(packExpired(first, expires)).toBe(true);
    const { ttl: _ttl, ...held } = first;
    expect(packExpired(held, new Date(expires.getTime() + 400 * 86_400_000))).toBe(false);
  });

  it('reads back exactly its own members from the pack index', () => {
    const index = members.map(placed);
    const ids = entries.map((e) => membersOfEntry(e, index).map((m) => m.id));
    expect(ids).toEqual([[1, 2, 3, 4, 5].map(hex), [hex(6), hex(7)], [hex(8)], [hex(9)]]);
  });

  it('reads nothing from another pack’s index, or from an index that names another source', () => {
    const [first] = entries;
    if (!first) throw new Error('no entry');
    const index = members.map(placed);
    expect(membersOfEntry({ ...first, archive: `${pack}x` }, index)).toEqual([]);
    expect(membersOfEntry({ ...first, source: 'i-0def' }, index)).toEqual([]);
    // A member moved to another batch in the index no longer belongs to the entry.
    const moved = index.map((m) => (m.id === hex(1) ? { ...m, batch: batchB } : m));
    expect(membersOfEntry(first, moved).map((m) => m.id)).toEqual([2, 3, 4, 5].map(hex));
  });

  it('are told apart from claims, member items and attempts', () => {
    const [first] = entries;
    expect(ledgerItemKind({ ...first })).toBe('entry');
    expect(ledgerItemKind({ id: hex(1), attempt: 'attempt#x', archive: pack, ttl: 1 })).toBe('claim');
    expect(ledgerItemKind({ id: hex(1), kind: 'segment', source: 'i-0abc' })).toBe('member');
    expect(ledgerItemKind({ id: 'attempt#0f0e0d0c-0b0a-4908-8706-050403020100' })).toBe('attempt');
  });
});

describe('a member’s holder', () => {
  const attempt = 'attempt#0f0e0d0c-0b0a-4908-8706-050403020100';

  it('is read from a claim, which holds nothing but who and where', () => {
    expect(parseHolder({ id: hex(1), attempt, archive: pack, ttl: 1_800_000_000 })).toEqual({
      id: hex(1),
      attempt,
      archive: pack,
    });
  });

  it('refuses a claim with anything missing or extra, by name', () => {
    expect(() => parseHolder({ id: hex(1), attempt, ttl: 1 })).toThrow(/ledger claim 0+1 invalid at archive/);
    expect(() => parseHolder({ id: hex(1), attempt, archive: pack, ttl: 1, policy: 'x' })).toThrow(
      /ledger claim/,
    );
  });
});
