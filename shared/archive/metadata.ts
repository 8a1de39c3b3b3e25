import { IntegrityError } from '../errors.ts';
import type { Codec } from './codec.ts';

/**
 * What an archive object says about itself, in S3 user metadata (ASCII only, 2 KB in all).
 * The authoritative copy of identity, codec and digest is the authenticated encryption context;
 * metadata is for listing and sweeping without decrypting anything.
 */
export interface ArchiveMetadata {
  readonly source: string;
  readonly sourceBucket: string;
  /** Percent-encoded; absent when too long for S3 metadata (it is always in the encryption context). */
  readonly sourceKey?: string;
  readonly sourceRevision: string;
  readonly sourceETag: string;
  readonly sourceSize: number;
  /** When the source object was last modified (ISO): the time a restore's --from/--to select on. */
  readonly sourceModified: string;
  readonly sha256: string;
  readonly codec: Codec;
  readonly policy: string;
  readonly archivedAt: string;
  /** ISO instant, or `never`. */
  readonly expires: string;
}

const MAX_ENCODED_KEY = 1024;

export function toS3Metadata(m: ArchiveMetadata): Record<string, string> {
  const encodedKey = m.sourceKey === undefined ? undefined : encodeURIComponent(m.sourceKey);
  return {
    'lv-layout': '1',
    'lv-source': encodeURIComponent(m.source),
    'lv-source-bucket': m.sourceBucket,
    ...(encodedKey && encodedKey.length <= MAX_ENCODED_KEY ? { 'lv-source-key': encodedKey } : {}),
    'lv-source-revision': encodeURIComponent(m.sourceRevision),
    'lv-source-etag': m.sourceETag.replaceAll('"', ''),
    'lv-source-size': String(m.sourceSize),
    'lv-source-modified': m.sourceModified,
    'lv-sha256': m.sha256,
    'lv-codec': m.codec,
    'lv-policy': m.policy,
    'lv-archived-at': m.archivedAt,
    'lv-expires': m.expires,
  };
}

/**
 * Metadata as read back. It is not authenticated and anyone with write access can replace it, so
 * each field is read on its own: a missing or malformed field is left out and named in
 * `unreadable`, and never costs the others.
 */
export type ReadMetadata = Partial<ArchiveMetadata> & {
  /** Metadata names that are missing or malformed (`lv-source-key` only when malformed: long keys leave it out). */
  readonly unreadable: readonly string[];
};

const CODECS: readonly string[] = ['zstd', 'gzip', 'identity'] satisfies Codec[];
const text = (v: string) => (v === '' ? undefined : v);
const percent = (v: string) => {
  try {
    return decodeURIComponent(v);
  } catch {
    return undefined;
  }
};
const instant = (v: string) => (Number.isNaN(Date.parse(v)) ? undefined : v);

type Reader<T> = readonly [name: string, read: (value: string) => T | undefined];
const READERS: { readonly [K in keyof ArchiveMetadata]-?: Reader<ArchiveMetadata[K]> } = {
  source: ['lv-source', percent],
  sourceBucket: ['lv-source-bucket', text],
  sourceKey: ['lv-source-key', percent],
  sourceRevision: ['lv-source-revision', percent],
  sourceETag: ['lv-source-etag', text],
  sourceSize: ['lv-source-size', (v) => (/^\d+$/.test(v) ? Number(v) : undefined)],
  sourceModified: ['lv-source-modified', instant],
  sha256: ['lv-sha256', (v) => (/^[0-9a-f]{64}$/.test(v) ? v : undefined)],
  codec: ['lv-codec', (v) => (CODECS.includes(v) ? (v as Codec) : undefined)],
  policy: ['lv-policy', text],
  archivedAt: ['lv-archived-at', instant],
  expires: ['lv-expires', (v) => (v === 'never' ? v : instant(v))],
};

/** Reads metadata back field by field; undefined when the object is not a logvault archive. */
export function fromS3Metadata(raw: Record<string, string> | undefined): ReadMetadata | undefined {
  if (raw?.['lv-layout'] !== '1') return undefined;
  const fields: Record<string, unknown> = {};
  const unreadable: string[] = [];
  for (const [field, [name, read]] of Object.entries(READERS) as [string, Reader<unknown>][]) {
    const value = raw[name];
    const parsed = value === undefined ? undefined : read(value);
    if (parsed !== undefined) fields[field] = parsed;
    else if (value !== undefined || field !== 'sourceKey') unreadable.push(name);
  }
  return { ...(fields as Partial<ArchiveMetadata>), unreadable };
}

/** Encryption context keys. Authenticated by the Encryption SDK, so tampering fails decryption. */
export const CONTEXT = {
  source: 'logvault:source',
  bucket: 'logvault:bucket',
  key: 'logvault:key',
  version: 'logvault:version',
  sha256: 'logvault:sha256',
  codec: 'logvault:codec',
  /** When the source object was last modified (ISO); archives written before it was added lack it. */
  modified: 'logvault:modified',
} as const;

/** What an archive's authenticated encryption context says about its original object. */
export interface ArchiveContext {
  readonly source: string;
  readonly bucket: string;
  readonly key: string;
  readonly sha256: string;
  readonly codec: Codec;
  /** Absent in archives written before the context carried it. */
  readonly modified?: Date;
}

/** Reads an authenticated encryption context; refuses one that lacks an entry or holds a malformed one. */
export function fromContext(archiveKey: string, context: Record<string, string>): ArchiveContext {
  const need = (k: string) => {
    const v = context[k];
    if (v === undefined) throw new IntegrityError(archiveKey, `encryption context lacks ${k}`);
    return v;
  };
  const codec = need(CONTEXT.codec);
  if (!CODECS.includes(codec)) throw new IntegrityError(archiveKey, `unknown codec ${codec}`);
  const modified = context[CONTEXT.modified];
  const at = modified === undefined ? undefined : new Date(Date.parse(modified));
  if (at && Number.isNaN(at.getTime())) {
    throw new IntegrityError(archiveKey, `encryption context holds a malformed ${CONTEXT.modified}`);
  }
  return {
    source: need(CONTEXT.source),
    bucket: need(CONTEXT.bucket),
    key: need(CONTEXT.key),
    sha256: need(CONTEXT.sha256),
    codec: codec as Codec,
    ...(at ? { modified: at } : {}),
  };
}
