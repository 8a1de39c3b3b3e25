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

/** Reads metadata back; undefined when the object is not a logvault archive. */
export function fromS3Metadata(raw: Record<string, string> | undefined): ArchiveMetadata | undefined {
  if (raw?.['lv-layout'] !== '1') return undefined;
  const get = (k: string) => raw[k] ?? '';
  const key = raw['lv-source-key'];
  return {
    source: decodeURIComponent(get('lv-source')),
    sourceBucket: get('lv-source-bucket'),
    ...(key ? { sourceKey: decodeURIComponent(key) } : {}),
    sourceRevision: decodeURIComponent(get('lv-source-revision')),
    sourceETag: get('lv-source-etag'),
    sourceSize: Number(get('lv-source-size')),
    sourceModified: get('lv-source-modified'),
    sha256: get('lv-sha256'),
    codec: get('lv-codec') as Codec,
    policy: get('lv-policy'),
    archivedAt: get('lv-archived-at'),
    expires: get('lv-expires'),
  };
}

/** Encryption context keys. Authenticated by the Encryption SDK, so tampering fails decryption. */
export const CONTEXT = {
  source: 'logvault:source',
  bucket: 'logvault:bucket',
  key: 'logvault:key',
  version: 'logvault:version',
  sha256: 'logvault:sha256',
  codec: 'logvault:codec',
} as const;
