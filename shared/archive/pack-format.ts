import { createHash, randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as z from 'zod';
import { IntegrityError } from '../errors.ts';
import { GAP_REASONS } from '../segments/batch-format.ts';
import { compactUtc, isGenerationId } from '../segments/identity.ts';

/**
 * A pack: one archive object holding many small members (docs/archive-format.md, "Packs").
 *
 *   [group 0] … [group n-1] [index region] [trailer]
 *
 * - A group is one Encryption SDK message whose plaintext is one compressed frame over the
 *   concatenation of its members' bytes. Every group of a pack has the same encryption context
 *   ({@link packContext}), so one data key serves the whole pack.
 * - The index region is gzip(header line "\n" members line "\n"). The members line is
 *   authenticated: its SHA-256 is in every group's encryption context. The header line (group
 *   offsets, policy, expiry) is a hint: a wrong offset only makes decryption or a digest fail.
 * - The trailer is "LVPACK01", the index offset and length (u64 big-endian), and 8 zero bytes.
 *
 * Key: `pack/{policy}/{YYYY-MM-DD}/{packId}-{members}.lvp`. This module alone builds and reads all
 * of it.
 */
export const PACK_PREFIX = 'pack/';
const PACK_SUFFIX = '.lvp';
const PACK_ID = /^\d{8}T\d{6}Z-[0-9a-f]{16}$/;
const PACK_KEY = /^pack\/([a-z0-9-]{1,32})\/(\d{4}-\d{2}-\d{2})\/(\d{8}T\d{6}Z-[0-9a-f]{16})-(\d{1,6})\.lvp$/;
export const TRAILER_MAGIC = 'LVPACK01';
export const TRAILER_BYTES = 32;
/** Members of one group hold at most this much plaintext; a larger member gets a group alone. */
export const GROUP_PLAINTEXT_BYTES = 1024 * 1024;

export const CONTEXT_KEYS = {
  format: 'logvault:format',
  pack: 'logvault:pack',
  members: 'logvault:members',
} as const;
export const PACK_FORMAT = 'pack1';

export interface PackKeyParts {
  readonly policy: string;
  /** UTC day the pack was archived, YYYY-MM-DD. */
  readonly day: string;
  readonly packId: string;
  readonly members: number;
}

/** A new pack id: when it was made, and 64 random bits. */
export function newPackId(now: Date): string {
  return `${compactUtc(now)}-${randomBytes(8).toString('hex')}`;
}

export function packKey(p: PackKeyParts): string {
  const key = `${PACK_PREFIX}${p.policy}/${p.day}/${p.packId}-${p.members}${PACK_SUFFIX}`;
  if (!PACK_KEY.test(key)) throw new RangeError(`cannot make a pack key of ${JSON.stringify(p)}`);
  return key;
}

/** The parts of a pack key; undefined when the key is not one. */
export function parsePackKey(key: string): PackKeyParts | undefined {
  const m = PACK_KEY.exec(key);
  if (!m) return undefined;
  const [, policy = '', day = '', packId = '', members = '0'] = m;
  return { policy, day, packId, members: Number(members) };
}

export function isPackId(text: string): boolean {
  return PACK_ID.test(text);
}

/** The encryption context of every group of a pack. */
export function packContext(packId: string, membersDigest: string): Record<string, string> {
  return {
    [CONTEXT_KEYS.format]: PACK_FORMAT,
    [CONTEXT_KEYS.pack]: packId,
    [CONTEXT_KEYS.members]: membersDigest,
  };
}

/**
 * Refuses a group whose authenticated context does not name this pack and this members line: a
 * group copied from another pack, or an index swapped for another, fails here.
 */
export function checkPackContext(
  label: string,
  context: Record<string, string>,
  expect: { packId: string; membersDigest: string },
): void {
  if (context[CONTEXT_KEYS.format] !== PACK_FORMAT) {
    throw new IntegrityError(label, 'encryption context is not a pack group');
  }
  if (context[CONTEXT_KEYS.pack] !== expect.packId) {
    throw new IntegrityError(
      label,
      `group belongs to pack ${context[CONTEXT_KEYS.pack]}, not ${expect.packId}`,
    );
  }
  if (context[CONTEXT_KEYS.members] !== expect.membersDigest) {
    throw new IntegrityError(label, 'the index does not match the one the groups were sealed with');
  }
}

const SHA256 = /^[0-9a-f]{64}$/;
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const instant = z.iso.datetime();
const generation = z.string().refine(isGenerationId, 'is not a generation id');

/** What a member is, wherever it is stored: in a pack (with its place there) or in the ledger. */
export const memberDescription = {
  id: z.string().regex(/^[0-9a-f]{32}$/),
  source: z.string().min(1),
  time: instant,
  sha256: z.string().regex(SHA256),
  size: count,
};
/** Where a member's bytes are in a pack: its group, and its slice of the group's plaintext. */
const placement = {
  group: z.number().int().min(-1),
  offset: count,
  length: count,
};
const batchRef = { batch: z.string(), prev: z.string().nullable() };
const range = { path: z.string().min(1), generation, start: count, end: count };

/** The fields of each kind of member, beyond its description and placement. */
export const memberKindFields = {
  object: {
    kind: z.literal('object'),
    bucket: z.string().min(3),
    key: z.string().min(1),
    revision: z.string(),
    modified: instant,
    eTag: z.string(),
  },
  segment: {
    ...range,
    ...batchRef,
    kind: z.literal('segment'),
    bucket: z.string().min(3),
    key: z.string().min(1),
    mode: z.number().int().optional(),
    uid: z.number().int().optional(),
    gid: z.number().int().optional(),
    mtime: instant.optional(),
  },
  gap: {
    ...range,
    ...batchRef,
    kind: z.literal('gap'),
    reason: z.enum(GAP_REASONS),
  },
};

export const packMemberSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...memberDescription, ...placement, ...memberKindFields.object }),
  z.strictObject({ ...memberDescription, ...placement, ...memberKindFields.segment }),
  z.strictObject({ ...memberDescription, ...placement, ...memberKindFields.gap }),
]);
export type PackMember = z.infer<typeof packMemberSchema>;
type WithoutPlacement<T> = T extends unknown ? Omit<T, keyof typeof placement> : never;
/** A member without its place in a pack: what it is, of whichever kind. */
export type MemberDescription = WithoutPlacement<PackMember>;

export const packGroupSchema = z.strictObject({
  offset: count,
  length: count,
  codec: z.enum(['zstd', 'gzip', 'identity']),
  plaintextBytes: count,
});
export type PackGroup = z.infer<typeof packGroupSchema>;

export const packHeaderSchema = z.strictObject({
  format: z.literal('logvault-pack'),
  version: z.literal(1),
  pack: z.string().regex(PACK_ID),
  policy: z.string().min(1),
  archivedAt: instant,
  expires: z.union([instant, z.literal('never')]),
  groups: z.array(packGroupSchema),
  /**
   * `entries`: the member ledger records this pack's members by pack entries and short-lived
   * claims. Absent on packs written before entries, whose members have member items of their own.
   */
  ledger: z.literal('entries').optional(),
});
export type PackHeader = z.infer<typeof packHeaderSchema>;

/** SHA-256 of the exact members-line bytes: what every group's encryption context names. */
export function membersDigest(membersLine: Buffer): string {
  return createHash('sha256').update(membersLine).digest('hex');
}

/** The members line, serialised once: its bytes are what the groups' context authenticates. */
export function encodeMembers(members: readonly PackMember[]): { line: Buffer; digest: string } {
  const line = Buffer.from(JSON.stringify(members), 'utf8');
  return { line, digest: membersDigest(line) };
}

/** The index region: gzip of the header line and the members line, each ending in "\n". */
export function encodeIndex(header: PackHeader, membersLine: Buffer): Buffer {
  packHeaderSchema.parse(header);
  return gzipSync(
    Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`, 'utf8'), membersLine, Buffer.from('\n')]),
  );
}

export interface DecodedIndex {
  readonly header: PackHeader;
  readonly members: PackMember[];
  /** To be checked against a group's authenticated context before any member byte is trusted. */
  readonly membersDigest: string;
}

function parseLine<S extends z.ZodType>(label: string, what: string, bytes: Buffer, schema: S): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new IntegrityError(label, `pack index ${what} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IntegrityError(
      label,
      `pack index ${what} invalid at ${issue?.path.join('.') || what}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Reads an index region back. Unauthenticated until its digest is matched to a group's context. */
export function decodeIndex(label: string, region: Buffer): DecodedIndex {
  let text: Buffer;
  try {
    text = gunzipSync(region, { maxOutputLength: 512 * 1024 * 1024 });
  } catch (error) {
    throw new IntegrityError(label, 'pack index is not readable gzip', { cause: error });
  }
  const first = text.indexOf(0x0a);
  const last = text.length - 1;
  if (first < 0 || text[last] !== 0x0a || first === last) {
    throw new IntegrityError(label, 'pack index does not have a header line and a members line');
  }
  const membersLine = text.subarray(first + 1, last);
  const header = parseLine(label, 'header', text.subarray(0, first), packHeaderSchema);
  const members = parseLine(label, 'members', membersLine, z.array(packMemberSchema));
  return { header, members, membersDigest: membersDigest(membersLine) };
}

export function encodeTrailer(indexOffset: number, indexLength: number): Buffer {
  const out = Buffer.alloc(TRAILER_BYTES);
  out.write(TRAILER_MAGIC, 0, 'latin1');
  out.writeBigUInt64BE(BigInt(indexOffset), 8);
  out.writeBigUInt64BE(BigInt(indexLength), 16);
  return out;
}

/** Where the index region is, from the last {@link TRAILER_BYTES} of an object of `objectSize`. */
export function decodeTrailer(
  label: string,
  trailer: Buffer,
  objectSize: number,
): { indexOffset: number; indexLength: number } {
  if (trailer.length !== TRAILER_BYTES || trailer.toString('latin1', 0, 8) !== TRAILER_MAGIC) {
    throw new IntegrityError(label, 'not a pack (no pack trailer)');
  }
  const indexOffset = Number(trailer.readBigUInt64BE(8));
  const indexLength = Number(trailer.readBigUInt64BE(16));
  if (indexOffset + indexLength + TRAILER_BYTES !== objectSize) {
    throw new IntegrityError(label, 'pack trailer points outside the object');
  }
  return { indexOffset, indexLength };
}

/** S3 metadata of a pack: hints for listing and sweeping, never trusted for integrity. */
export interface PackMetadata {
  readonly policy: string;
  readonly archivedAt: string;
  /** ISO instant, or `never`. */
  readonly expires: string;
  readonly members: number;
  readonly bytesIn: number;
  readonly indexOffset: number;
  readonly indexLength: number;
}

export function toPackS3Metadata(m: PackMetadata): Record<string, string> {
  return {
    'lv-layout': PACK_FORMAT,
    'lv-policy': m.policy,
    'lv-archived-at': m.archivedAt,
    'lv-expires': m.expires,
    'lv-members': String(m.members),
    'lv-bytes-in': String(m.bytesIn),
    'lv-index-offset': String(m.indexOffset),
    'lv-index-length': String(m.indexLength),
  };
}

/** Reads pack metadata back, field by field; undefined when the object is not a pack. */
export function fromPackS3Metadata(
  raw: Record<string, string> | undefined,
): Partial<PackMetadata> | undefined {
  if (raw?.['lv-layout'] !== PACK_FORMAT) return undefined;
  const num = (k: string) => {
    const v = Number(raw[k]);
    return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  };
  const str = (k: string) => raw[k];
  const out: Record<string, string | number> = {};
  for (const [field, value] of Object.entries({
    policy: str('lv-policy'),
    archivedAt: str('lv-archived-at'),
    expires: str('lv-expires'),
    members: num('lv-members'),
    bytesIn: num('lv-bytes-in'),
    indexOffset: num('lv-index-offset'),
    indexLength: num('lv-index-length'),
  })) {
    if (value !== undefined) out[field] = value;
  }
  return out as Partial<PackMetadata>;
}
