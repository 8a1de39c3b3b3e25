import { createHash } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { archiveKeyFor, expiryIndexKey } from '#shared/archive/layout.ts';
import { toS3Metadata } from '#shared/archive/metadata.ts';

export interface SeedSpec {
  readonly source: string;
  readonly relative: string;
  readonly archivedAt: Date;
  /** null: kept forever (no index entry). */
  readonly expires: Date | null;
  readonly policy: string;
  readonly lockUntil?: Date;
  /** Index the entry under this day instead of the expiry's (a stale or tampered index). */
  readonly indexAt?: Date;
}

/**
 * Writes a tiny stand-in archive plus its expiry index entry with the real key and metadata
 * functions: thousands of archives in seconds, where the real pipeline takes minutes. The body is
 * not a real envelope; the sweeper never reads bodies.
 */
export async function seedArchive(s3: S3Client, bucket: string, spec: SeedSpec): Promise<string> {
  const key = `${spec.source}/${spec.relative}`;
  const sha256 = createHash('sha256').update(key).digest('hex');
  const archiveKey = archiveKeyFor({ bucket: 'seed-ingest', key, sha256 }, spec.archivedAt);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: archiveKey,
      Body: 'x',
      Tagging: `logvault-policy=${spec.policy}`,
      Metadata: toS3Metadata({
        source: spec.source,
        sourceBucket: 'seed-ingest',
        sourceKey: key,
        sourceRevision: 'v1',
        sourceETag: 'etag',
        sourceSize: 1,
        sourceModified: spec.archivedAt.toISOString(),
        sha256,
        codec: 'zstd',
        policy: spec.policy,
        archivedAt: spec.archivedAt.toISOString(),
        expires: spec.expires ? spec.expires.toISOString() : 'never',
      }),
      ...(spec.lockUntil ? { ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: spec.lockUntil } : {}),
    }),
  );
  const indexAt = spec.indexAt ?? spec.expires;
  if (indexAt) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: expiryIndexKey(indexAt, archiveKey),
        Body: '',
        ContentLength: 0,
      }),
    );
  }
  return archiveKey;
}

/** Runs `fn` over items with at most `limit` in flight. */
