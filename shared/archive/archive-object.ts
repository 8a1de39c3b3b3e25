import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { KmsKeyringNode } from '@aws-crypto/client-node';
import type { Logger } from '@aws-lambda-powertools/logger';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { IntegrityError, RefusedMessageError } from '../errors.ts';
import { computeExpiry, type Policy, type PolicySet, storageClassAtWrite } from '../policy/index.ts';
import { admitJob } from './admit-job.ts';
import { chooseCodec } from './codec.ts';
import { sha256Of } from './digest.ts';
import type { ArchiveJob } from './job.ts';
import { archiveKeyFor, expiryIndexKey } from './layout.ts';
import { CONTEXT, toS3Metadata } from './metadata.ts';
import { seal } from './seal.ts';
import { headSource, openSource, type SourceObject } from './source-object.ts';
import { abortLeftoverUploads, MULTIPART_SOURCE_BYTES, writeArchive } from './upload.ts';

export interface ArchiveDeps {
  readonly s3: S3Client;
  readonly keyring: KmsKeyringNode;
  readonly config: {
    /** The only bucket whose objects are archived (and, if the policy says so, deleted). */
    readonly ingestBucket: string;
    readonly archiveBucket: string;
    readonly archiveKeyArn: string;
  };
  readonly policies: PolicySet;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  readonly now?: () => Date;
  /** Aborts shortly before the invocation's deadline; the write is abandoned and the job fails. */
  readonly signal?: AbortSignal;
}

export type ArchiveOutcome =
  | { status: 'vanished' }
  | {
      status: 'archived' | 'duplicate';
      archiveKey: string;
      policy: string;
      bytesIn: number;
      bytesOut: number;
      sourceDeleted: boolean;
    };

// Objects up to this size are read once into memory to hash them; larger ones are hashed in a first pass.
const IN_MEMORY_BYTES = 8 * 1024 * 1024;

/** Gives the plaintext digest before the archive is written, plus a body to read the plaintext from. */
async function digestFirst(
  s3: S3Client,
  src: SourceObject,
): Promise<{ sha256: string; body: () => Promise<Readable> }> {
  if (src.size <= IN_MEMORY_BYTES) {
    const chunks: Buffer[] = [];
    for await (const chunk of await openSource(s3, src)) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return { sha256, body: async () => Readable.from([bytes]) };
  }
  const sha256 = src.sha256 ?? (await sha256Of(await openSource(s3, src))).sha256;
  return { sha256, body: () => openSource(s3, src) };
}

async function firstBytes(body: Readable): Promise<{ head: Buffer; body: Readable }> {
  const it: AsyncIterator<Buffer> = body[Symbol.asyncIterator]();
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  async function* all() {
    if (!first.done) yield first.value;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  }
  return { head, body: Readable.from(all(), { objectMode: false }) };
}

async function headArchive(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ size: number; expires: string | undefined } | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return { size: head.ContentLength ?? 0, expires: head.Metadata?.['lv-expires'] };
  } catch (error) {
    if ((error as { name?: string }).name === 'NotFound') return undefined;
    throw error;
  }
}

async function indexExpiry(s3: S3Client, bucket: string, expires: Date, archiveKey: string): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: expiryIndexKey(expires, archiveKey),
      Body: '',
      ContentLength: 0,
    }),
  );
}

/** Deletes exactly the source version that was archived. */
export async function deleteSource(s3: S3Client, src: SourceObject): Promise<void> {
  // A newer upload under the same key is never touched.
  await s3.send(new DeleteObjectCommand({ Bucket: src.bucket, Key: src.key, VersionId: src.versionId }));
}

/** An attempt that died mid-upload (killed, or frozen by a hard timeout) left its upload open. */
async function cleanUpAfterDeadAttempts(
  s3: S3Client,
  bucket: string,
  archiveKey: string,
  src: SourceObject,
): Promise<void> {
  if (src.size < MULTIPART_SOURCE_BYTES) return;
  await abortLeftoverUploads(s3, bucket, archiveKey);
}

/**
 * Finishes a job whose archive already exists. It only exists once a write completed, and a write
 * completes only after the verifying tee decoded it to the source's digest; but whoever wrote it
 * may have died (or lost S3's answer) before indexing its expiry or deleting the source.
 */
async function settleExisting(
  s3: S3Client,
  bucket: string,
  archiveKey: string,
  existing: { expires: string | undefined },
  policy: Policy,
  src: SourceObject,
): Promise<ArchiveOutcome> {
  await cleanUpAfterDeadAttempts(s3, bucket, archiveKey, src);
  if (existing.expires && existing.expires !== 'never') {
    await indexExpiry(s3, bucket, new Date(existing.expires), archiveKey);
  }
  if (policy.deleteSourceAfterArchive) await deleteSource(s3, src);
  const sourceDeleted = policy.deleteSourceAfterArchive;
  return { status: 'duplicate', archiveKey, policy: policy.name, bytesIn: 0, bytesOut: 0, sourceDeleted };
}

/**
 * Archives one source object: compress, encrypt, write once under its deterministic key, verify,
 * index its expiry, and delete the source only when the policy asks and the archive is verified.
 * A job that may not run (see admitJob) is refused with a RefusedMessageError before anything is read.
 */
export async function archiveObject(
  job: ArchiveJob,
  deps: ArchiveDeps,
  opts: { readonly keepSource?: boolean } = {},
): Promise<ArchiveOutcome> {
  const { s3, config, logger } = deps;
  const admission = admitJob(job, { ...config, policies: deps.policies });
  if ('refused' in admission)
    throw new RefusedMessageError(admission.refused.reason, admission.refused.message);
  const { source } = admission.admitted;
  // With keepSource the caller deletes the source itself, once it has recorded what it holds.
  const policy = opts.keepSource
    ? { ...admission.admitted.policy, deleteSourceAfterArchive: false }
    : admission.admitted.policy;
  const src = await headSource(s3, admission.admitted);
  if (!src) {
    logger.warn('source object vanished before it was archived; dropping the job', { objectKey: job.key });
    return { status: 'vanished' };
  }
  const { sha256, body } = await digestFirst(s3, src);
  const archiveKey = archiveKeyFor({ bucket: src.bucket, key: src.key, sha256 }, src.lastModified);
  const existing = await headArchive(s3, config.archiveBucket, archiveKey);
  if (existing) return settleExisting(s3, config.archiveBucket, archiveKey, existing, policy, src);
  deps.signal?.throwIfAborted();

  const archivedAt = (deps.now ?? (() => new Date()))();
  const expires = computeExpiry(policy, archivedAt);
  const { head, body: plaintext } = await firstBytes(await body());
  const codec = chooseCodec({ name: policy.codec.name, level: policy.codec.level }, head);
  const sealed = seal(plaintext, {
    codec,
    keyring: deps.keyring,
    label: archiveKey,
    expectSha256: sha256,
    verify: true,
    context: {
      [CONTEXT.source]: source,
      [CONTEXT.bucket]: src.bucket,
      [CONTEXT.key]: src.key,
      [CONTEXT.version]: src.revision,
      [CONTEXT.sha256]: sha256,
      [CONTEXT.codec]: codec.codec,
      [CONTEXT.modified]: src.lastModified.toISOString(),
    },
  });
  const written = await writeArchive(s3, {
    bucket: config.archiveBucket,
    key: archiveKey,
    body: sealed.ciphertext,
    kmsKeyArn: config.archiveKeyArn,
    storageClassFor: (size) =>
      size === undefined ? policy.storage.class : storageClassAtWrite(policy, size),
    tagging: `logvault-policy=${encodeURIComponent(policy.name)}`,
    metadata: toS3Metadata({
      source,
      sourceBucket: src.bucket,
      sourceKey: src.key,
      sourceRevision: src.revision,
      sourceETag: src.eTag,
      sourceSize: src.size,
      sourceModified: src.lastModified.toISOString(),
      sha256,
      codec: codec.codec,
      policy: policy.name,
      archivedAt: archivedAt.toISOString(),
      expires: expires ? expires.toISOString() : 'never',
    }),
    ...(policy.objectLock
      ? {
          objectLock: {
            mode: policy.objectLock.mode,
            retainUntil: new Date(archivedAt.getTime() + policy.objectLock.days * 86_400_000),
          },
        }
      : {}),
    ...(deps.signal ? { signal: deps.signal } : {}),
  });
  if (written !== 'written') {
    // A concurrent duplicate won the conditional write (or completed first and aborted this
    // upload as a leftover), or this very write did and S3's answer was lost, so the SDK's retry
    // met the object it had just written: settle it either way, once it is there.
    sealed.ciphertext.destroy();
    const won = await headArchive(s3, config.archiveBucket, archiveKey);
    if (!won) {
      const what = written === 'exists' ? 'refused as existing' : 'its multipart upload was aborted';
      throw new Error(`${archiveKey}: ${what}, but no archive is there`);
    }
    return settleExisting(s3, config.archiveBucket, archiveKey, won, policy, src);
  }
  const counts = await sealed.done;
  const stored = await headArchive(s3, config.archiveBucket, archiveKey);
  if (stored?.size !== counts.ciphertextBytes) {
    throw new IntegrityError(archiveKey, `stored ${stored?.size} bytes but wrote ${counts.ciphertextBytes}`);
  }
  await cleanUpAfterDeadAttempts(s3, config.archiveBucket, archiveKey, src);
  if (expires) await indexExpiry(s3, config.archiveBucket, expires, archiveKey);
  if (policy.deleteSourceAfterArchive) await deleteSource(s3, src);
  logger.info('archived', { objectKey: job.key, archiveKey, policy: policy.name, codec: codec.codec });
  return {
    status: 'archived',
    archiveKey,
    policy: policy.name,
    bytesIn: counts.plaintextBytes,
    bytesOut: counts.ciphertextBytes,
    sourceDeleted: policy.deleteSourceAfterArchive,
  };
}
