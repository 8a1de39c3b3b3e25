import { DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';

/** DeleteObjects takes at most this many keys per call. */
export const DELETE_BATCH = 1000;

export interface VersionRef {
  readonly Key: string;
  readonly VersionId?: string;
}

export interface DeleteFailure {
  readonly key: string;
  readonly versionId?: string;
  readonly code: string;
  readonly message: string;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Deletes exact versions, ≤1000 per call. Per-key errors come back as failures rather than
 * throwing, so one locked object never stops the rest; a whole call that fails fails all its keys.
 */
export async function deleteVersions(
  s3: S3Client,
  bucket: string,
  refs: readonly VersionRef[],
): Promise<{ deleted: VersionRef[]; failed: DeleteFailure[] }> {
  const deleted: VersionRef[] = [];
  const failed: DeleteFailure[] = [];
  for (const batch of chunk(refs, DELETE_BATCH)) {
    try {
      const res = await s3.send(
        new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }),
      );
      const errs = res.Errors ?? [];
      // An error may omit the VersionId (the emulator's do): then it fails every version of its key.
      const bad = new Set(errs.map((e) => `${e.Key}\n${e.VersionId ?? ''}`));
      const failedRef = (r: VersionRef) => bad.has(`${r.Key}\n${r.VersionId ?? ''}`) || bad.has(`${r.Key}\n`);
      for (const r of batch) {
        const e = errs.find((x) => x.Key === r.Key && (!x.VersionId || x.VersionId === r.VersionId));
        if (!failedRef(r) || !e) {
          deleted.push(r);
          continue;
        }
        failed.push({
          key: r.Key,
          ...(r.VersionId ? { versionId: r.VersionId } : {}),
          code: e.Code ?? 'Unknown',
          message: e.Message ?? '',
        });
      }
    } catch (error) {
      const code = (error as { name?: string }).name ?? 'Error';
      const message = (error as Error).message ?? String(error);
      for (const r of batch)
        failed.push({ key: r.Key, ...(r.VersionId ? { versionId: r.VersionId } : {}), code, message });
    }
  }
  return { deleted, failed };
}
