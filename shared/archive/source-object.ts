import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isAwsError, SourceChangedError } from '../errors.ts';
import type { ArchiveJob } from './job.ts';

export interface SourceObject {
  readonly bucket: string;
  readonly key: string;
  /** Version id where the bucket is versioned, otherwise the ETag: names exactly what was read. */
  readonly revision: string;
  readonly versionId?: string;
  readonly eTag: string;
  readonly size: number;
  readonly lastModified: Date;
  /** Full-object SHA-256 the uploader sent and S3 stored, when there is one. */
  readonly sha256?: string;
}

/** Looks the source object up; undefined when it no longer exists. */
export async function headSource(
  s3: S3Client,
  job: Pick<ArchiveJob, 'bucket' | 'key' | 'versionId' | 'eventTime'>,
): Promise<SourceObject | undefined> {
  try {
    const head = await s3.send(
      new HeadObjectCommand({
        Bucket: job.bucket,
        Key: job.key,
        VersionId: job.versionId,
        ChecksumMode: 'ENABLED',
      }),
    );
    const eTag = head.ETag ?? '';
    // A checksum with a part count ("…-3") is a checksum of checksums, not of the object.
    const full = head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-') ? head.ChecksumSHA256 : undefined;
    return {
      bucket: job.bucket,
      key: job.key,
      revision: head.VersionId ?? eTag.replaceAll('"', ''),
      eTag,
      size: head.ContentLength ?? 0,
      lastModified: head.LastModified ?? new Date(job.eventTime),
      ...(head.VersionId ? { versionId: head.VersionId } : {}),
      ...(full ? { sha256: Buffer.from(full, 'base64').toString('hex') } : {}),
    };
  } catch (error) {
    if (isAwsError(error, 'NotFound', 'NoSuchKey', 'NoSuchVersion', 404)) return undefined;
    throw error;
  }
}

/** Streams exactly the version that was looked up: a version id pins it, otherwise its ETag. */
export async function openSource(s3: S3Client, src: SourceObject): Promise<Readable> {
  try {
    const res = await s3.send(
      new GetObjectCommand({
        Bucket: src.bucket,
        Key: src.key,
        ...(src.versionId ? { VersionId: src.versionId } : { IfMatch: src.eTag }),
      }),
    );
    return res.Body as Readable;
  } catch (error) {
    if (isAwsError(error, 'PreconditionFailed', 412, 'NoSuchKey', 'NoSuchVersion', 404)) {
      throw new SourceChangedError(`${src.key} changed or vanished while it was being archived`, {
        cause: error,
      });
    }
    throw error;
  }
}
