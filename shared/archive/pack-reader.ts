import type { KeyringNode } from '@aws-crypto/client-node';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { IntegrityError, isAwsError, NoSuchArchiveError } from '../errors.ts';
import {
  decodeIndex,
  decodeTrailer,
  type PackHeader,
  type PackMember,
  parsePackKey,
  TRAILER_BYTES,
} from './pack-format.ts';
import { memberBytes, openGroup } from './pack-seal.ts';

/** A pack's index as read from S3: not yet proven (see {@link readPackMember}). */
export interface PackIndex {
  readonly key: string;
  readonly packId: string;
  readonly header: PackHeader;
  readonly members: readonly PackMember[];
  readonly membersDigest: string;
  readonly objectSize: number;
  /** Bytes fetched from S3 to read it. */
  readonly bytesFetched: number;
}

/** One ranged GET of an object, `range` as in HTTP (`0-99`, `-32`); answers the bytes and the object's size. */
export async function getRange(
  s3: S3Client,
  bucket: string,
  key: string,
  range: string,
): Promise<{ bytes: Buffer; total: number }> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${range}` }));
    const bytes = Buffer.from(
      await (res.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    const total = Number(/\/(\d+)$/.exec(res.ContentRange ?? '')?.[1] ?? bytes.length);
    return { bytes, total };
  } catch (error) {
    if (isAwsError(error, 'NoSuchKey', 'NotFound', 404)) throw new NoSuchArchiveError(key, { cause: error });
    throw error;
  }
}

/**
 * Reads a pack's index region: the trailer (the last 32 bytes), then the region it points at.
 * Two ranged GETs, whatever the pack's size. The index is unauthenticated until a group's
 * encryption context proves its digest; the pack id in the key must be the one the index names.
 */
export async function readPackIndex(s3: S3Client, bucket: string, key: string): Promise<PackIndex> {
  const parts = parsePackKey(key);
  if (!parts) throw new IntegrityError(key, 'not a pack key');
  const tail = await getRange(s3, bucket, key, `-${TRAILER_BYTES}`);
  const { indexOffset, indexLength } = decodeTrailer(key, tail.bytes, tail.total);
  const region = await getRange(s3, bucket, key, `${indexOffset}-${indexOffset + indexLength - 1}`);
  const index = decodeIndex(key, region.bytes);
  if (index.header.pack !== parts.packId)
    throw new IntegrityError(key, `index names pack ${index.header.pack}, the key ${parts.packId}`);
  return {
    key,
    packId: parts.packId,
    header: index.header,
    members: index.members,
    membersDigest: index.membersDigest,
    objectSize: tail.total,
    bytesFetched: tail.bytes.length + region.bytes.length,
  };
}

export interface PackReadDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly keyring: KeyringNode;
}

/**
 * One member of a pack, proven: its group is fetched alone (one ranged GET) and decrypted, which
 * proves the index (the group's authenticated context names the members line's digest and the
 * pack id), and the member's bytes are checked against its SHA-256. A gap has no bytes; it is
 * proven through the pack's first group. Answers the bytes fetched, index included.
 */
export async function readPackMember(
  deps: PackReadDeps,
  index: PackIndex,
  memberId: string,
): Promise<{ member: PackMember; bytes: Buffer; bytesFetched: number }> {
  const member = index.members.find((m) => m.id === memberId);
  if (!member) throw new IntegrityError(index.key, `the pack's index does not list member ${memberId}`);
  const groupIndex = Math.max(member.group, 0);
  const group = index.header.groups[groupIndex];
  if (!group)
    throw new IntegrityError(index.key, `member ${memberId} names group ${member.group}, which is not there`);
  const sealed = await getRange(
    deps.s3,
    deps.bucket,
    index.key,
    `${group.offset}-${group.offset + group.length - 1}`,
  );
  const expect = { packId: index.packId, membersDigest: index.membersDigest };
  const plaintext = await openGroup(index.key, deps.keyring, sealed.bytes, group, expect);
  const bytes = member.group >= 0 ? memberBytes(index.key, plaintext, member) : Buffer.alloc(0);
  return { member, bytes, bytesFetched: index.bytesFetched + sealed.bytes.length };
}
