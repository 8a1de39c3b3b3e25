import type { S3Client } from '@aws-sdk/client-s3';
import { EXPIRY_PREFIX } from '#shared/archive/layout.ts';
import { listObjectsV2, listObjectVersions } from '#shared/clients/s3-list.ts';

/** One expiry index entry: the archive it points at and every version of the entry itself. */
export interface IndexEntry {
  readonly indexKey: string;
  readonly archiveKey: string;
  readonly versionIds: readonly string[];
}

/**
 * Day partitions of the expiry index after `after` up to `today` (inclusive), oldest first: one
 * delimited listing per 1000 partitions, whatever the number of entries in them.
 */
export async function* dueDays(
  s3: S3Client,
  bucket: string,
  after: string | undefined,
  today: string,
): AsyncGenerator<string> {
  let token: string | undefined;
  do {
    const page = await listObjectsV2(s3, {
      Bucket: bucket,
      Prefix: EXPIRY_PREFIX,
      Delimiter: '/',
      ContinuationToken: token,
      ...(!token && after ? { StartAfter: `${EXPIRY_PREFIX}${after}/\uffff` } : {}),
    });
    for (const p of page.CommonPrefixes ?? []) {
      const day = (p.Prefix ?? '').slice(EXPIRY_PREFIX.length, -1);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || (after && day <= after)) continue;
      if (day > today) return;
      yield day;
    }
    token = page.NextContinuationToken;
  } while (token);
}

/**
 * The entries of one index day, a page (≤1000 versions) at a time. Versions of one key are kept
 * together even when a page boundary splits them, so deleting an entry removes all of it.
 */
export async function* indexEntries(
  s3: S3Client,
  bucket: string,
  prefix: string,
): AsyncGenerator<IndexEntry[]> {
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  let carry: { key: string; versions: string[] } | undefined;
  for (;;) {
    const page = await listObjectVersions(s3, {
      Bucket: bucket,
      Prefix: prefix,
      KeyMarker: keyMarker,
      VersionIdMarker: versionMarker,
    });
    const groups: { key: string; versions: string[] }[] = carry ? [carry] : [];
    for (const v of page.Versions ?? []) {
      const last = groups.at(-1);
      if (last && last.key === v.Key) last.versions.push(v.VersionId ?? 'null');
      else groups.push({ key: v.Key ?? '', versions: [v.VersionId ?? 'null'] });
    }
    const more = Boolean(page.IsTruncated);
    carry = more ? groups.pop() : undefined;
    const entries = groups.map((g) => toEntry(g.key, g.versions));
    if (entries.length > 0) yield entries;
    if (!more) break;
    keyMarker = page.NextKeyMarker;
    versionMarker = page.NextVersionIdMarker;
  }
  if (carry) yield [toEntry(carry.key, carry.versions)];
}

/** `expiry/YYYY-MM-DD/{archive key}` → its parts. */
function toEntry(indexKey: string, versionIds: string[]): IndexEntry {
  return { indexKey, archiveKey: indexKey.slice(EXPIRY_PREFIX.length + 'YYYY-MM-DD/'.length), versionIds };
}
