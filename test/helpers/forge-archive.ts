import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { KmsKeyringNode } from '@aws-crypto/client-node';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { compressor } from '#shared/archive/codec.ts';
import { encryptingStream } from '#shared/archive/envelope.ts';
import { archiveKeyFor, splitSourceKey } from '#shared/archive/layout.ts';
import { CONTEXT, toS3Metadata } from '#shared/archive/metadata.ts';

export interface ForgeSpec {
  /** The original object the context names. */
  readonly bucket: string;
  readonly key: string;
  /** What the archive really holds. */
  readonly content: Buffer;
  /** The digest the context names (default: the content's). */
  readonly sha256?: string;
  /** The modification time the context names; `null` leaves it out, as archives written before it did. */
  readonly modified: Date | null;
  /** The day the archive key is filed under (default: the modification time's). */
  readonly day?: Date;
  /** Metadata fields to write instead of the consistent ones. */
  readonly metadata?: Record<string, string>;
}

/**
 * Writes an archive with the real envelope (zstd, Encryption SDK under the archive key) but with
 * the context a test chooses, at the archive key that context derives: what someone able to
 * encrypt under the key could write. Returns the archive key.
 */
export async function forgeArchive(
  s3: S3Client,
  archive: { bucket: string; keyring: KmsKeyringNode },
  spec: ForgeSpec,
): Promise<string> {
  const sha256 = spec.sha256 ?? createHash('sha256').update(spec.content).digest('hex');
  const day = spec.day ?? spec.modified ?? new Date();
  const { source } = splitSourceKey(spec.key);
  const context = {
    [CONTEXT.source]: source,
    [CONTEXT.bucket]: spec.bucket,
    [CONTEXT.key]: spec.key,
    [CONTEXT.version]: 'forged',
    [CONTEXT.sha256]: sha256,
    [CONTEXT.codec]: 'zstd',
    ...(spec.modified ? { [CONTEXT.modified]: spec.modified.toISOString() } : {}),
  };
  const body = await buffer(
    Readable.from([spec.content])
      .pipe(compressor({ codec: 'zstd' }))
      .pipe(encryptingStream(archive.keyring, context)),
  );
  const archiveKey = archiveKeyFor({ bucket: spec.bucket, key: spec.key, sha256 }, day);
  const metadata = toS3Metadata({
    source,
    sourceBucket: spec.bucket,
    sourceKey: spec.key,
    sourceRevision: 'forged',
    sourceETag: 'forged',
    sourceSize: spec.content.length,
    sourceModified: day.toISOString(),
    sha256,
    codec: 'zstd',
    policy: 'standard',
    archivedAt: new Date().toISOString(),
    expires: 'never',
  });
  await s3.send(
    new PutObjectCommand({
      Bucket: archive.bucket,
      Key: archiveKey,
      Body: body,
      Metadata: { ...metadata, ...spec.metadata },
    }),
  );
  return archiveKey;
}
