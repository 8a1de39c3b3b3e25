import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { type LedgerDeps, membersOfSource } from '../archive/member-ledger.ts';
import { fromPackS3Metadata, PACK_PREFIX, type PackMetadata, parsePackKey } from '../archive/pack-format.ts';
import { dayCoverage } from '../archive/selection.ts';
import { listObjectsV2 } from '../clients/s3-list.ts';
import { isAwsError } from '../errors.ts';
import { mapLimit } from '../map-limit.ts';

/** A pack as a listing shows it: its key (which says its policy, day and member count) and its metadata hints. */
export interface PackEntry {
  readonly archiveKey: string;
  readonly policy: string;
  /** UTC day it was archived (from its key). */
  readonly day: string;
  /** Members, as its key says. */
  readonly members: number;
  readonly archivedSize: number;
  readonly storageClass: string;
  readonly lastModified?: Date;
  /** Metadata hints (unauthenticated); undefined when the HEAD found no pack metadata. */
  readonly metadata?: Partial<PackMetadata>;
}

/**
 * The packs to list: with a source, those holding a member of it in the range (the ledger says
 * which; a superset of what a restore of the range reads); without, every pack archived on a day
 * the range touches. One HEAD each (16 at a time) for the metadata hints.
 */
export async function listPacks(
  deps: { readonly s3: S3Client; readonly bucket: string; readonly ledger?: LedgerDeps },
  filter: { readonly source?: string; readonly from?: Date; readonly to?: Date },
): Promise<PackEntry[]> {
  const found = new Map<string, { size?: number; storageClass?: string }>();
  if (filter.source !== undefined) {
    if (deps.ledger) {
      const range = {
        ...(filter.from ? { from: filter.from } : {}),
        ...(filter.to ? { to: filter.to } : {}),
        // Only packs that exist are listed: `ls` and `restore` of the source name a gone one.
        onGonePack: () => undefined,
      };
      for await (const m of membersOfSource(deps.ledger, filter.source, range))
        if (parsePackKey(m.archive)) found.set(m.archive, {});
    }
  } else {
    let token: string | undefined;
    do {
      const page = await listObjectsV2(deps.s3, {
        Bucket: deps.bucket,
        Prefix: PACK_PREFIX,
        ContinuationToken: token,
      });
      for (const o of page.Contents ?? []) {
        const parts = parsePackKey(o.Key ?? '');
        if (!parts || dayCoverage(parts.day, filter) === 'none') continue;
        found.set(o.Key ?? '', {
          ...(o.Size !== undefined ? { size: o.Size } : {}),
          storageClass: o.StorageClass ?? 'STANDARD',
        });
      }
      token = page.NextContinuationToken;
    } while (token);
  }
  const keys = [...found.keys()].sort();
  const heads = await mapLimit(keys, 16, (key) =>
    deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: key })).catch((error: unknown) => {
      if (isAwsError(error, 'NotFound', 'NoSuchKey', 404)) return undefined;
      throw error;
    }),
  );
  return keys.flatMap((key, i) => {
    const head = heads[i];
    const parts = parsePackKey(key);
    if (!head || !parts) return [];
    const metadata = fromPackS3Metadata(head.Metadata);
    return [
      {
        archiveKey: key,
        policy: parts.policy,
        day: parts.day,
        members: parts.members,
        archivedSize: head.ContentLength ?? found.get(key)?.size ?? 0,
        storageClass: head.StorageClass ?? found.get(key)?.storageClass ?? 'STANDARD',
        ...(head.LastModified ? { lastModified: head.LastModified } : {}),
        ...(metadata ? { metadata } : {}),
      },
    ];
  });
}
