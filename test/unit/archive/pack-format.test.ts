import { describe, expect, it } from 'vitest';
import {
  checkPackContext,
  decodeIndex,
  decodeTrailer,
  encodeIndex,
  encodeMembers,
  encodeTrailer,
  fromPackS3Metadata,
  newPackId,
  type PackHeader,
  type PackMember,
  packContext,
  packKey,
  parsePackKey,
  TRAILER_BYTES,
  toPackS3Metadata,
} from '#shared/archive/pack-format.ts';
import { IntegrityError } from '#shared/errors.ts';

const packId = newPackId(new Date('2026-11-26T08:00:00Z'));
const members: PackMember[] = [
  {
    id: '0'.repeat(32),
    kind: 'object',
    source: 'web',
    time: '2026-11-26T07:00:00.000Z',
    sha256: 'a'.repeat(64),
    size: 10,
    group: 0,
    offset: 0,
    length: 10,
    bucket: 'ingest-bucket',
    key: 'web/app.log',
    revision: 'v1',
    modified: '2026-11-26T07:00:00.000Z',
    eTag: '"e"',
  },
  {
    id: '1'.repeat(32),
    kind: 'segment',
    source: 'i-0abc',
    time: '2026-11-26T07:30:00.000Z',
    sha256: 'b'.repeat(64),
    size: 5,
    group: 0,
    offset: 10,
    length: 5,
    bucket: 'ingest-bucket',
    key: 'AROA:i-0abc/_logvault/ship/x.lvb',
    path: '/var/log/messages',
    generation: '20261126T070000Z-0a1b2c3d',
    start: 100,
    end: 105,
    batch: '20261126T073000Z-0123456789abcdef',
    prev: null,
    mode: 0o640,
  },
  {
    id: '2'.repeat(32),
    kind: 'gap',
    source: 'i-0abc',
    time: '2026-11-26T07:30:00.000Z',
    sha256: 'c'.repeat(64),
    size: 0,
    group: -1,
    offset: 0,
    length: 0,
    path: '/var/log/messages',
    generation: '20261126T070000Z-0a1b2c3d',
    start: 0,
    end: 100,
    reason: 'truncated',
    batch: '20261126T073000Z-0123456789abcdef',
    prev: null,
  },
];
const header: PackHeader = {
  format: 'logvault-pack',
  version: 1,
  pack: packId,
  policy: 'instances',
  archivedAt: '2026-11-26T08:00:00.000Z',
  expires: '2026-12-27T00:00:00.000Z',
  groups: [{ offset: 0, length: 500, codec: 'zstd', plaintextBytes: 15 }],
};

describe('pack format', () => {
  it('round-trips the key, and refuses keys that are not packs', () => {
    const key = packKey({ policy: 'instances', day: '2026-11-26', packId, members: 3 });
    expect(key).toBe(`pack/instances/2026-11-26/${packId}-3.lvp`);
    expect(parsePackKey(key)).toEqual({ policy: 'instances', day: '2026-11-26', packId, members: 3 });
    for (const other of [
      'archive/web/2026-11-26/a.log.0123456789abcdef.lv',
      `pack/Bad/2026-11-26/${packId}-3.lvp`,
      `pack/x/2026-11-26/${packId}.lvp`,
    ]) {
      expect(parsePackKey(other)).toBeUndefined();
    }
    expect(() => packKey({ policy: '../x', day: '2026-11-26', packId, members: 1 })).toThrow(RangeError);
  });

  it('round-trips the index, and its digest is what the context names', () => {
    const { line, digest } = encodeMembers(members);
    const decoded = decodeIndex('k', encodeIndex(header, line));
    expect(decoded.header).toEqual(header);
    expect(decoded.members).toEqual(members);
    expect(decoded.membersDigest).toBe(digest);
    expect(() =>
      checkPackContext('k', packContext(packId, digest), { packId, membersDigest: digest }),
    ).not.toThrow();
  });

  it('refuses a group sealed for another pack or another members line', () => {
    const { digest } = encodeMembers(members);
    const other = encodeMembers(members.slice(1)).digest;
    expect(() =>
      checkPackContext('k', packContext(packId, other), { packId, membersDigest: digest }),
    ).toThrow(/index does not match/);
    const otherPack = newPackId(new Date('2026-11-26T09:00:00Z'));
    expect(() =>
      checkPackContext('k', packContext(otherPack, digest), { packId, membersDigest: digest }),
    ).toThrow(IntegrityError);
    expect(() => checkPackContext('k', { 'logvault:key': 'x' }, { packId, membersDigest: digest })).toThrow(
      /not a pack group/,
    );
  });

  it('refuses an index that is not gzip, not two lines, or not of the schema', () => {
    expect(() => decodeIndex('k', Buffer.from('plain'))).toThrow(/gzip/);
    const { line } = encodeMembers([{ ...members[0], kind: 'unknown' } as unknown as PackMember]);
    expect(() => decodeIndex('k', encodeIndex(header, line))).toThrow(/members invalid/);
  });

  it('round-trips the trailer and refuses one that points outside the object', () => {
    const trailer = encodeTrailer(1000, 200);
    expect(trailer.length).toBe(TRAILER_BYTES);
    expect(decodeTrailer('k', trailer, 1000 + 200 + TRAILER_BYTES)).toEqual({
      indexOffset: 1000,
      indexLength: 200,
    });
    expect(() => decodeTrailer('k', trailer, 5000)).toThrow(/outside/);
    expect(() => decodeTrailer('k', Buffer.alloc(TRAILER_BYTES), 5000)).toThrow(/no pack trailer/);
  });

  it('round-trips metadata hints, dropping fields that do not parse', () => {
    const meta = {
      policy: 'instances',
      archivedAt: header.archivedAt,
      expires: header.expires,
      members: 3,
      bytesIn: 15,
      indexOffset: 500,
      indexLength: 90,
    };
    expect(fromPackS3Metadata(toPackS3Metadata(meta))).toEqual(meta);
    const { members: _dropped, ...rest } = meta;
    expect(fromPackS3Metadata({ ...toPackS3Metadata(meta), 'lv-members': 'x' })).toEqual(rest);
    expect(fromPackS3Metadata({ 'lv-layout': '1' })).toBeUndefined();
  });
});
