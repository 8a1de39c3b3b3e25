import type { MemberItem } from '../archive/member-ledger.ts';
import type { MemberDescription, PackMember } from '../archive/pack-format.ts';
import { memberId } from '../segments/identity.ts';

/**
 * A member as the log model sees it: what it is (its description, of whichever kind) and which
 * archive holds it. Made from a ledger item (a pointer, not yet proven) or from a pack's index
 * entry (proven once a group of that pack decrypts with the index's digest in its context).
 */
export type LogMember = MemberDescription & { readonly archive: string };
export type SegmentMember = Extract<LogMember, { kind: 'segment' }>;
export type GapMember = Extract<LogMember, { kind: 'gap' }>;
export type ObjectMember = Extract<LogMember, { kind: 'object' }>;

/** A member of a ledger item: the item's own bookkeeping (claim, sort key, place in a batch) left out. */
export function fromLedgerItem(item: MemberItem): LogMember {
  const { sk: _sk, attempt: _attempt, policy: _policy, ...rest } = item;
  const {
    offset: _offset,
    length: _length,
    ...member
  } = rest as typeof rest & {
    offset?: number;
    length?: number;
  };
  return member as LogMember;
}

/** A member of a pack's index entry: its place in the pack left out, the pack named instead. */
export function fromPackEntry(packKey: string, entry: PackMember): LogMember {
  const { group: _group, offset: _offset, length: _length, ...member } = entry;
  return { ...member, archive: packKey } as LogMember;
}

/**
 * True when a member's id is the one its identity fields give: an entry whose id was made for
 * other fields (a path or range changed after the fact) is refused wherever it comes from.
 */
export function idMatches(m: MemberDescription): boolean {
  switch (m.kind) {
    case 'object':
      return memberId({ kind: 'object', bucket: m.bucket, key: m.key, sha256: m.sha256 }) === m.id;
    case 'segment':
      return (
        memberId({
          kind: 'segment',
          source: m.source,
          path: m.path,
          generation: m.generation,
          start: m.start,
          end: m.end,
          sha256: m.sha256,
        }) === m.id
      );
    case 'gap':
      return (
        memberId({
          kind: 'gap',
          source: m.source,
          path: m.path,
          generation: m.generation,
          start: m.start,
          end: m.end,
          reason: m.reason,
        }) === m.id
      );
  }
}

/**
 * The object member a v1 archive holds, from what its authenticated encryption context proved
 * (or, for a listing, what its metadata says). Archives written before the context carried the
 * modification time are dated by their key's day.
 */
export function v1ObjectMember(
  archiveKey: string,
  proved: {
    readonly source: string;
    readonly bucket: string;
    readonly key: string;
    readonly sha256: string;
    readonly modified: Date;
    readonly revision?: string;
    readonly eTag?: string;
  },
  size: number,
): ObjectMember {
  const modified = proved.modified.toISOString();
  return {
    id: memberId({ kind: 'object', bucket: proved.bucket, key: proved.key, sha256: proved.sha256 }),
    kind: 'object',
    source: proved.source,
    time: modified,
    sha256: proved.sha256,
    size,
    bucket: proved.bucket,
    key: proved.key,
    revision: proved.revision ?? '',
    modified,
    eTag: proved.eTag ?? '',
    archive: archiveKey,
  };
}
