import {
  getLocalCryptographicMaterialsCache,
  type KeyringNode,
  NodeCachingMaterialsManager,
} from '@aws-crypto/client-node';
import type { HeadObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { IntegrityError } from '../errors.ts';
import { idMatches } from '../logs/members.ts';
import { headReadable } from './open-archive.ts';
import {
  decodeIndex,
  decodeTrailer,
  fromPackS3Metadata,
  type PackMember,
  parsePackKey,
  TRAILER_BYTES,
} from './pack-format.ts';
import { getRange, type PackIndex, readPackIndex } from './pack-reader.ts';
import { memberBytes, openGroup } from './pack-seal.ts';

export interface PackSourceDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly keyring: KeyringNode;
}

/** A pack opened for reading: its index (unproven until a group decrypts) and its members on demand. */
export interface OpenedPack {
  readonly key: string;
  readonly index: PackIndex;
  entry(id: string): PackMember | undefined;
  /**
   * A member's bytes, proven: its group decrypted with the index's digest and the pack id in its
   * authenticated context, and the bytes checked against the member's SHA-256. A gap has none;
   * it is proven through the pack's smallest group.
   */
  read(id: string): Promise<Buffer>;
  /** Whether a group of this pack has decrypted: only then is its index proven. */
  proven(): boolean;
  /** Bytes fetched from S3 for this pack so far. */
  bytesFetched(): number;
}

/**
 * Reads the index with one ranged GET of the index region and the trailer together, at the offsets
 * the HEAD's metadata hints; the trailer read with it has the last word. Without a usable hint,
 * the trailer is read first (pack-reader.ts).
 */
async function readIndex(
  deps: PackSourceDeps,
  key: string,
  head: HeadObjectCommandOutput,
): Promise<PackIndex> {
  const hint = fromPackS3Metadata(head.Metadata);
  const size = head.ContentLength;
  const offset = hint?.indexOffset;
  const length = hint?.indexLength;
  if (
    size === undefined ||
    offset === undefined ||
    length === undefined ||
    offset + length + TRAILER_BYTES !== size
  )
    return readPackIndex(deps.s3, deps.bucket, key);
  const got = await getRange(deps.s3, deps.bucket, key, `${offset}-${size - 1}`);
  const trailer = decodeTrailer(key, got.bytes.subarray(length), got.total);
  if (trailer.indexOffset !== offset || trailer.indexLength !== length)
    throw new IntegrityError(key, 'pack metadata and trailer disagree on where the index is');
  const index = decodeIndex(key, got.bytes.subarray(0, length));
  const packId = parsePackKey(key)?.packId;
  if (index.header.pack !== packId)
    throw new IntegrityError(key, `index names pack ${index.header.pack}, the key ${packId}`);
  return { key, packId, ...index, objectSize: got.total, bytesFetched: got.bytes.length };
}

/** How many opened groups a pack keeps: readers ask for members group by group. */
const GROUP_CACHE = 2;

/**
 * Opens a pack: one HEAD (which also refuses a pack in a cold class that is not restored), then
 * one ranged GET for the index; each group is fetched alone, when a member of it is read. All of
 * a pack's groups share one data key, so a caching materials manager of the pack's own serves
 * every group after the first from the first one's KMS Decrypt: one Decrypt per pack.
 */
export async function openPack(deps: PackSourceDeps, key: string): Promise<OpenedPack> {
  if (!parsePackKey(key)) throw new IntegrityError(key, 'not a pack key');
  const head = await headReadable(deps, key);
  const index = await readIndex(deps, key, head);
  const materials = new NodeCachingMaterialsManager({
    backingMaterials: deps.keyring,
    cache: getLocalCryptographicMaterialsCache(GROUP_CACHE),
    partition: `logvault-read-${index.packId}`,
    maxAge: 60 * 60 * 1000,
  });
  const entries = new Map(index.members.map((m) => [m.id, m]));
  const expect = { packId: index.packId, membersDigest: index.membersDigest };
  const groups = new Map<number, Promise<Buffer>>();
  let fetched = index.bytesFetched;
  let proven = false;

  const group = (i: number): Promise<Buffer> => {
    const cached = groups.get(i);
    if (cached) return cached;
    const g = index.header.groups[i];
    if (!g) return Promise.reject(new IntegrityError(key, `the index names group ${i}, which is not there`));
    const opening = getRange(deps.s3, deps.bucket, key, `${g.offset}-${g.offset + g.length - 1}`).then(
      async (sealed) => {
        fetched += sealed.bytes.length;
        const plaintext = await openGroup(key, materials, sealed.bytes, g, expect);
        proven = true;
        return plaintext;
      },
    );
    groups.set(i, opening);
    opening.catch(() => groups.delete(i));
    if (groups.size > GROUP_CACHE) groups.delete(groups.keys().next().value as number);
    return opening;
  };
  const smallestGroup = () =>
    index.header.groups.reduce(
      (best, g, i, all) => (g.length < (all[best]?.length ?? Infinity) ? i : best),
      0,
    );

  return {
    key,
    index,
    entry: (id) => entries.get(id),
    async read(id) {
      const m = entries.get(id);
      if (!m) throw new IntegrityError(key, `the pack's index does not list member ${id}`);
      if (!idMatches(m))
        throw new IntegrityError(key, `index entry ${id} is not the member its fields describe`);
      if (m.kind === 'gap') {
        if (!proven) await group(smallestGroup());
        return Buffer.alloc(0);
      }
      return memberBytes(key, await group(m.group), m);
    },
    proven: () => proven,
    bytesFetched: () => fetched,
  };
}
