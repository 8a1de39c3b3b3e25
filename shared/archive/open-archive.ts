import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KmsKeyringNode } from '@aws-crypto/client-node';
import {
  GetObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import {
  ColdObjectError,
  IntegrityError,
  isAwsError,
  NoSuchArchiveError,
  NotSelectedError,
  OutsideRangeError,
} from '../errors.ts';
import { decompressor } from './codec.ts';
import { DigestingStream } from './digest.ts';
import { decryptingStream, encryptionContextOf } from './envelope.ts';
import { archiveKeyFor, parseArchiveKey, utcDay } from './layout.ts';
import { type ArchiveContext, fromContext, fromS3Metadata, type ReadMetadata } from './metadata.ts';

export interface ReadDeps {
  readonly s3: S3Client;
  readonly keyring: KmsKeyringNode;
  readonly bucket: string;
  /** The stack's ingest bucket: an archive whose context names any other bucket is refused. */
  readonly ingestBucket: string;
}

/** What a decoded archive proved about itself. */
export interface DecodedArchive {
  readonly archiveKey: string;
  readonly source: string;
  readonly originalKey: string;
  readonly sha256: string;
  readonly bytes: number;
  /** The source object's modification time, when the authenticated context carries it. */
  readonly modified?: Date;
  readonly metadata?: ReadMetadata;
}

/** What the authenticated context proved, handed to a caller's check before any plaintext is read. */
export type ProvedArchive = ArchiveContext & {
  readonly archiveKey: string;
  readonly metadata?: ReadMetadata;
};

const COLD = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/**
 * HEADs an archive (a v1 archive or a pack). Fails with NoSuchArchiveError when there is none, and
 * with ColdObjectError when it must be restored by S3 before it can be read.
 */
export async function headReadable(
  deps: Pick<ReadDeps, 's3' | 'bucket'>,
  archiveKey: string,
): Promise<HeadObjectCommandOutput> {
  const head = await deps.s3
    .send(new HeadObjectCommand({ Bucket: deps.bucket, Key: archiveKey }))
    .catch((error: unknown) => {
      if (isAwsError(error, 'NotFound', 'NoSuchKey', 404))
        throw new NoSuchArchiveError(archiveKey, { cause: error });
      throw error;
    });
  const storageClass = head.StorageClass ?? 'STANDARD';
  if (COLD.has(storageClass) && !head.Restore?.includes('ongoing-request="false"')) {
    throw new ColdObjectError(archiveKey, storageClass, head.Restore ? 'in-progress' : 'not-started');
  }
  return head;
}

/** {@link headReadable} for a v1 archive: answers its (unauthenticated) metadata. */
export async function assertReadable(deps: ReadDeps, archiveKey: string): Promise<ReadMetadata | undefined> {
  return fromS3Metadata((await headReadable(deps, archiveKey)).Metadata);
}

/**
 * The context is authenticated; the key is not. The key must be the one the context's object
 * would be archived under, in every part (source, day, name and id), and the context must name
 * this stack's ingest bucket: an archive moved or copied to another key, swapped with another
 * archive, or sealed for another bucket is refused.
 */
function checkContext(deps: ReadDeps, archiveKey: string, context: Record<string, string>): ArchiveContext {
  const ctx = fromContext(archiveKey, context);
  if (ctx.bucket !== deps.ingestBucket) {
    throw new IntegrityError(
      archiveKey,
      `encryption context names bucket ${ctx.bucket}, not this stack's ingest bucket ${deps.ingestBucket}`,
    );
  }
  const parsed = parseArchiveKey(archiveKey);
  if (parsed && ctx.modified && utcDay(ctx.modified) !== parsed.day) {
    throw new IntegrityError(
      archiveKey,
      `archive key's day ${parsed.day} differs from the authenticated modification time ${ctx.modified.toISOString()}`,
    );
  }
  const day = ctx.modified ?? new Date(`${parsed?.day}T00:00:00Z`);
  if (!parsed || ctx.source !== parsed.source || archiveKeyFor(ctx, day) !== archiveKey) {
    throw new IntegrityError(
      archiveKey,
      `encryption context names another object (${ctx.bucket}/${ctx.key})`,
    );
  }
  return ctx;
}

/**
 * Decrypts, checks and decompresses one archive into `sink`. The digest is checked against the
 * authenticated encryption context; on any mismatch the returned promise rejects, so callers must
 * treat what reached the sink as provisional until it resolves. `check` sees what the context
 * proved before any plaintext reaches the sink, and refuses the archive by throwing.
 */
export async function decodeArchive(
  deps: ReadDeps,
  archiveKey: string,
  sink: Writable,
  check?: (proved: ProvedArchive) => void,
): Promise<DecodedArchive> {
  const metadata = await assertReadable(deps, archiveKey);
  const res = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: archiveKey }));
  const decrypting = decryptingStream(deps.keyring);
  const contextReady = encryptionContextOf(decrypting);
  const compressed = new PassThrough({ highWaterMark: 1024 * 1024 });
  const decrypted = pipeline(res.Body as Readable, decrypting, compressed);
  decrypted.catch(() => undefined);
  let ctx: ArchiveContext;
  try {
    const context = await Promise.race([contextReady, decrypted.then(() => ({}))]);
    ctx = checkContext(deps, archiveKey, context as Record<string, string>);
    if (metadata?.sha256 !== undefined && metadata.sha256 !== ctx.sha256) {
      throw new IntegrityError(archiveKey, 'metadata digest differs from the authenticated one');
    }
    check?.({ ...ctx, archiveKey, ...(metadata ? { metadata } : {}) });
  } catch (error) {
    decrypting.destroy();
    throw wrap(archiveKey, error);
  }
  const digest = new DigestingStream({ sha256: ctx.sha256, label: archiveKey });
  try {
    await Promise.all([decrypted, pipeline(compressed, decompressor(ctx.codec), digest, sink)]);
  } catch (error) {
    decrypting.destroy();
    throw wrap(archiveKey, error);
  }
  return {
    archiveKey,
    source: ctx.source,
    originalKey: ctx.key,
    sha256: ctx.sha256,
    bytes: digest.bytes,
    ...(ctx.modified ? { modified: ctx.modified } : {}),
    ...(metadata ? { metadata } : {}),
  };
}

function wrap(archiveKey: string, error: unknown): Error {
  if (
    error instanceof IntegrityError ||
    error instanceof ColdObjectError ||
    error instanceof OutsideRangeError ||
    error instanceof NotSelectedError ||
    error instanceof NoSuchArchiveError
  )
    return error;
  const message = error instanceof Error ? error.message : String(error);
  return new IntegrityError(archiveKey, `cannot be decoded: ${message}`, { cause: error });
}
