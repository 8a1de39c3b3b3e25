import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listKeys, listObjectsV2 } from '../clients/s3-list.ts';
import { mapLimit } from '../map-limit.ts';
import { ARCHIVE_PREFIX, archiveKeyStem, parseArchiveKey, sourceRange, splitSourceKey } from './layout.ts';
import { fromS3Metadata, type ReadMetadata } from './metadata.ts';

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
 * Lists archive objects whose key's day (the UTC day the source was modified) lies within the
 * filter's days. With a source this is one range scan of its prefix, starting after the day before
 * `from` and stopping after `to`'s day, since keys sort by day within a source.
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

/** Reads an archive's metadata (one HEAD), field by field. */
export async function describeArchive(
  s3: S3Client,
  bucket: string,
  archiveKey: string,
): Promise<ReadMetadata | undefined> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: archiveKey }));
  return fromS3Metadata(head.Metadata);
}

/**
 * The archive keys of one original key (`source/path`), on any day: one listing of the source's
 * days, then one per day. For telling someone who passed an original key where its archives are.
 */
export async function archivesOfOriginalKey(
  s3: S3Client,
  bucket: string,
  originalKey: string,
): Promise<string[]> {
  const { source } = splitSourceKey(originalKey);
  const days = await listKeys(s3, bucket, `${ARCHIVE_PREFIX}${source}/`, '/');
  const perDay = await mapLimit(days, 8, async (dayPrefix) => {
    const day = dayPrefix.slice(`${ARCHIVE_PREFIX}${source}/`.length, -1);
    const stem = archiveKeyStem(originalKey, day);
    const keys = await listKeys(s3, bucket, `${stem}.`);
    return keys.filter((k) => `${ARCHIVE_PREFIX}${source}/${day}/${parseArchiveKey(k)?.relative}` === stem);
  });
  return perDay.flat();
}
