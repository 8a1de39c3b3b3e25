import { createHash } from 'node:crypto';

/**
 * Archive key layout (v1):
 *
 *   archive/{source}/{YYYY-MM-DD}/{relative key}.{id}.lv
 *   expiry/{YYYY-MM-DD}/{archive key}          (zero-byte index entry, one per expiring archive)
 *
 * - `source` is the first segment of the ingest key (an instance id or an application name); an
 *   instance's "<role id>:<instance id>" segment gives its instance id.
 * - The date is the UTC day the source object was last modified, so one object version always
 *   maps to one day, however late or often its notification is redelivered.
 * - `id` is 16 hex digits of SHA-256 over (bucket, key, SHA-256 of the content): the same log
 *   at the same key always gives the same archive key, whether its notification is redelivered or
 *   the file is shipped again, which makes both idempotent.
 * - Restore by source and time range is one contiguous prefix range scan under `archive/{source}/`.
 * - The sweeper lists `expiry/{day}/` for the days that are due, so its request count grows with
 *   the number of expired objects plus one listing per day, never with the archive's size.
 */
export const LAYOUT_VERSION = '1';
export const ARCHIVE_PREFIX = 'archive/';
export const EXPIRY_PREFIX = 'expiry/';
const SUFFIX = '.lv';
const ID_HEX = 16;
// S3 keys stop at 1024 bytes; the expiry index prefixes 18 more, so archive keys stay below 1000.
const MAX_ARCHIVE_KEY_BYTES = 1000;

export interface SourceIdentity {
  readonly bucket: string;
  readonly key: string;
  /** Hex SHA-256 of the object's content. */
  readonly sha256: string;
}

/** Where logvault keeps its own state in the archive bucket (the sweeper's checkpoint and reports). */
export const STATE_PREFIX = '_logvault/';

/**
 * First key segments no source may have: the archive bucket's own prefixes and logvault's state
 * (a literal, so that bundles which only split keys leave it out; a test ties it to the prefixes).
 * An ingest key under one of them could otherwise name, or be mistaken for, what logvault itself
 * keeps there, so such keys are refused rather than archived.
 */
export const RESERVED_SOURCES: readonly string[] = ['archive', 'expiry', '_logvault'];

export function isReservedSource(source: string): boolean {
  return RESERVED_SOURCES.includes(source);
}

/** Source name given to objects uploaded at the bucket's top level, outside any source folder. */
export const UNSOURCED = '_unsourced';

/**
 * Splits an ingest key into its source (the first path segment) and the key below it.
 * A key with no folder still gets archived, under the `_unsourced` source, rather than dropped.
 */
export function splitSourceKey(key: string): { source: string; relative: string } {
  const slash = key.indexOf('/');
  if (slash <= 0) return { source: UNSOURCED, relative: key.replace(/^\/+/, '') || key };
  const first = key.slice(0, slash);
  return { source: INSTANCE_SESSION.exec(first)?.[1] ?? first, relative: key.slice(slash + 1) };
}

/**
 * Instances write under their session's `aws:userid`, "<role id>:<instance id>", the one prefix
 * their role may write; the source is the instance id.
 */
const INSTANCE_SESSION = /^ARO[A-Z0-9]+:(i-[0-9a-f]+)$/;

export function archiveId(identity: SourceIdentity): string {
  return createHash('sha256')
    .update(`${identity.bucket}\n${identity.key}\n${identity.sha256}`)
    .digest('hex')
    .slice(0, ID_HEX);
}

export function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** The longest prefix of `text` within `maxBytes` of UTF-8 that never splits a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return text;
  // Drop a trailing partial code point rather than emit invalid UTF-8.
  return bytes
    .subarray(0, maxBytes)
    .toString('utf8')
    .replace(/\uFFFD+$/, '');
}

/**
 * An archive key up to its `.{id}.lv` tail: every archive of one original key on one day starts
 * with it. An over-long relative key is cut here; the full key is always in the encryption context.
 */
export function archiveKeyStem(originalKey: string, day: string): string {
  const { source, relative } = splitSourceKey(originalKey);
  const head = `${ARCHIVE_PREFIX}${source}/${day}/`;
  // What follows the stem: `.`, the id and the suffix.
  const room = MAX_ARCHIVE_KEY_BYTES - Buffer.byteLength(head) - (1 + ID_HEX + SUFFIX.length);
  return `${head}${truncateUtf8(relative, Math.max(room, 0))}`;
}

/** The deterministic archive key of one source object version. */
export function archiveKeyFor(identity: SourceIdentity, lastModified: Date): string {
  return `${archiveKeyStem(identity.key, utcDay(lastModified))}.${archiveId(identity)}${SUFFIX}`;
}

export interface ParsedArchiveKey {
  readonly source: string;
  readonly day: string;
  readonly relative: string;
  readonly id: string;
}

const ARCHIVE_KEY = /^archive\/([^/]+)\/(\d{4}-\d{2}-\d{2})\/(.*)\.([0-9a-f]{16})\.lv$/s;

export function parseArchiveKey(key: string): ParsedArchiveKey | undefined {
  const m = ARCHIVE_KEY.exec(key);
  if (!m) return undefined;
  const [, source = '', day = '', relative = '', id = ''] = m;
  return { source, day, relative, id };
}

export function expiryIndexKey(expires: Date, archiveKey: string): string {
  return `${EXPIRY_PREFIX}${utcDay(expires)}/${archiveKey}`;
}

/** Prefix and StartAfter bounds that list one source's archives between two days (inclusive). */
export function sourceRange(
  source: string,
  from?: Date,
  to?: Date,
): { prefix: string; startAfter?: string; endDay?: string } {
  const prefix = `${ARCHIVE_PREFIX}${source}/`;
  return {
    prefix,
    ...(from ? { startAfter: `${prefix}${utcDay(new Date(from.getTime() - 86_400_000))}/\uffff` } : {}),
    ...(to ? { endDay: utcDay(to) } : {}),
  };
}
