import { DeleteObjectCommand, DeleteObjectsCommand, type S3Client } from '@aws-sdk/client-s3';

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
 * True for a key that cannot travel through XML and back unchanged: XML 1.0 cannot carry most
 * control characters at all, and a parser reads a carriage return as a line feed (so the key an
 * error names would not match). DeleteObjects sends keys and answers errors in XML, so such a key
 * could fail its whole batch, or its failure go unseen; it is deleted on its own (DeleteObject,
 * key in the URL) instead.
 */
export function xmlUnsafe(key: string): boolean {
  for (const ch of key) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || c === 0xfffe || c === 0xffff) return true;
  }
  return false;
}

const refOf = (r: VersionRef) => ({ key: r.Key, ...(r.VersionId ? { versionId: r.VersionId } : {}) });
const failureOf = (r: VersionRef, error: unknown): DeleteFailure => ({
  ...refOf(r),
  code: (error as { name?: string }).name ?? 'Error',
  message: (error as Error).message ?? String(error),
});

/**
 * Deletes exact versions, ≤1000 per call. Per-key errors come back as failures rather than
 * throwing, so one locked object never stops the rest; a whole call that fails fails all its keys.
 * Keys XML cannot carry never join a batch: each is deleted alone, so none holds up the others.
 */
export async function deleteVersions(
  s3: S3Client,
  bucket: string,
  refs: readonly VersionRef[],
): Promise<{ deleted: VersionRef[]; failed: DeleteFailure[] }> {
  const deleted: VersionRef[] = [];
  const failed: DeleteFailure[] = [];
  const alone = refs.filter((r) => xmlUnsafe(r.Key));
  const batchable = refs.filter((r) => !xmlUnsafe(r.Key));
  for (const r of alone) {
    try {
      await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: r.Key, VersionId: r.VersionId }));
      deleted.push(r);
    } catch (error) {
      failed.push(failureOf(r, error));
    }
  }
  for (const batch of chunk(batchable, DELETE_BATCH)) {
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
        failed.push({ ...refOf(r), code: e.Code ?? 'Unknown', message: e.Message ?? '' });
      }
    } catch (error) {
      for (const r of batch) failed.push(failureOf(r, error));
    }
  }
  return { deleted, failed };
}
