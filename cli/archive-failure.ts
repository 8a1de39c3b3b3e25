import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { parseArchiveKey, splitSourceKey } from '#shared/archive/layout.ts';
import { archivesOfOriginalKey } from '#shared/archive/list.ts';
import { type LedgerDeps, membersOfSource } from '#shared/archive/member-ledger.ts';
import { parsePackKey } from '#shared/archive/pack-format.ts';
import {
  ColdObjectError,
  IntegrityError,
  isAwsError,
  NoSuchArchiveError,
  OutsideRangeError,
} from '#shared/errors.ts';

/**
 * One line that names the archive and what went wrong with it, in logvault's words rather than
 * the SDK's (whose 404 on a HEAD reads "UnknownError", and whose XML parser reports an HTML error
 * page as "mismatched tags"). A missing key that is an original key says which archives hold it.
 */
export async function describeFailure(
  s3: S3Client,
  bucket: string,
  archiveKey: string,
  error: unknown,
  ledger?: LedgerDeps,
): Promise<string> {
  if (
    error instanceof IntegrityError ||
    error instanceof ColdObjectError ||
    error instanceof OutsideRangeError
  ) {
    return error.message;
  }
  if (
    error instanceof NoSuchArchiveError ||
    isAwsError(error, 'NotFound', 'NoSuchKey', 404) ||
    (await missing(s3, bucket, archiveKey))
  ) {
    return `no such archive: ${archiveKey}${await originalKeyHint(s3, bucket, archiveKey, ledger)}`;
  }
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  if (status !== undefined) return `${archiveKey}: S3 answered ${status} (${e.name ?? 'error'})`;
  return `${archiveKey}: ${e.message ?? String(error)}`;
}

/** Whether a failure was really a missing key: some calls on one answer with an error page, not a 404. */
async function missing(s3: S3Client, bucket: string, key: string): Promise<boolean> {
  return s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => false,
    (error: unknown) => isAwsError(error, 'NotFound', 'NoSuchKey', 404),
  );
}

/** The archives (v1 and packs) holding objects shipped as `originalKey`. */
async function archivesOf(s3: S3Client, bucket: string, originalKey: string, ledger?: LedgerDeps) {
  const v1 = await archivesOfOriginalKey(s3, bucket, originalKey).catch(() => []);
  const packs = new Set<string>();
  if (ledger) {
    const members = membersOfSource(ledger, splitSourceKey(originalKey).source, {
      onGonePack: () => undefined,
    });
    try {
      for await (const m of members) if (m.kind === 'object' && m.key === originalKey) packs.add(m.archive);
    } catch {
      // A hint only: the failure it explains is reported either way.
    }
  }
  return [...v1, ...packs];
}

async function originalKeyHint(
  s3: S3Client,
  bucket: string,
  key: string,
  ledger?: LedgerDeps,
): Promise<string> {
  if (parseArchiveKey(key) || parsePackKey(key)) return '';
  const archives = await archivesOf(s3, bucket, key, ledger);
  if (archives.length === 0)
    return ' (not an archive key, nor an original key with archives: see logvault ls)';
  return `; that is an original key, archived as: ${archives.join(', ')}`;
}
