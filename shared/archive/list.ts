import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjectsV2 } from '../clients/s3-list.ts';
import { ARCHIVE_PREFIX, parseArchiveKey, sourceRange } from './layout.ts';
import { type ArchiveMetadata, fromS3Metadata } from './metadata.ts';

export interface ArchiveEntry {
  readonly archiveKey: string;
  readonly archivedSize: number;
  readonly storageClass: string;
  readonly lastModified?: Date;
}

export interface ListFilter {
  readonly source?: string;
  readonly from?: Date;
  readonly to?: Date;
}

/**
 * Lists archive objects. With a source this is one range scan of its prefix, starting after the
 * day before `from` and stopping after `to`'s day, since keys sort by day within a source.
 */
export async function* listArchives(
  s3: S3Client,
  bucket: string,
  filter: ListFilter = {},
): AsyncGenerator<ArchiveEntry> {
  const range = filter.source
    ? sourceRange(filter.source, filter.from, filter.to)
    : { prefix: ARCHIVE_PREFIX };
  let token: string | undefined;
  do {
    const page = await listObjectsV2(s3, {
      Bucket: bucket,
      Prefix: range.prefix,
      ContinuationToken: token,
      ...(!token && 'startAfter' in range && range.startAfter ? { StartAfter: range.startAfter } : {}),
    });
    for (const o of page.Contents ?? []) {
      const parsed = parseArchiveKey(o.Key ?? '');
      if (!parsed) continue;
      if ('endDay' in range && range.endDay && parsed.day > range.endDay) return;
      if (!filter.source && filter.from && parsed.day < filter.from.toISOString().slice(0, 10)) continue;
      if (!filter.source && filter.to && parsed.day > filter.to.toISOString().slice(0, 10)) continue;
      yield {
        archiveKey: o.Key ?? '',
        archivedSize: o.Size ?? 0,
        storageClass: o.StorageClass ?? 'STANDARD',
        ...(o.LastModified ? { lastModified: o.LastModified } : {}),
      };
    }
    token = page.NextContinuationToken;
  } while (token);
}

/** Reads an archive's metadata (one HEAD). */
export async function describeArchive(
  s3: S3Client,
  bucket: string,
  archiveKey: string,
): Promise<ArchiveMetadata | undefined> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: archiveKey }));
  return fromS3Metadata(head.Metadata);
}

/** True when the source object's modification time falls inside the filter's instants. */
export function withinTime(meta: ArchiveMetadata, filter: ListFilter): boolean {
  const t = Date.parse(meta.sourceModified);
  if (Number.isNaN(t)) return true;
  return (!filter.from || t >= filter.from.getTime()) && (!filter.to || t <= filter.to.getTime());
}
