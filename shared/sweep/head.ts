import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { fromS3Metadata } from '../archive/metadata.ts';
import { fromPackS3Metadata } from '../archive/pack-format.ts';
import type { ArchiveHead } from './decide.ts';

/** HEADs an archive's current version: metadata, size, version, legal hold and retention in one call. */
export async function headArchive(s3: S3Client, bucket: string, key: string): Promise<ArchiveHead> {
  try {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    // A v1 archive's metadata or a pack's: either says when it expires.
    const meta = fromS3Metadata(h.Metadata) ?? fromPackS3Metadata(h.Metadata);
    return {
      exists: true,
      ...(h.VersionId ? { versionId: h.VersionId } : {}),
      size: h.ContentLength ?? 0,
      ...(meta ? { expires: meta.expires ?? '' } : {}),
      legalHold: h.ObjectLockLegalHoldStatus === 'ON',
      ...(h.ObjectLockRetainUntilDate ? { lockUntil: new Date(h.ObjectLockRetainUntilDate) } : {}),
    };
  } catch (error) {
    // A current version that is a delete marker also answers 404: the archive is gone either way.
    const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404) return { exists: false };
    throw error;
  }
}
