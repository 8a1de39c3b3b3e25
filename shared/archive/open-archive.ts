import { PassThrough, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { KmsKeyringNode } from '@aws-crypto/client-node';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ColdObjectError, IntegrityError } from '../errors.ts';
import { type Codec, decompressor } from './codec.ts';
import { DigestingStream } from './digest.ts';
import { decryptingStream, encryptionContextOf } from './envelope.ts';
import { archiveId, parseArchiveKey } from './layout.ts';
import { type ArchiveMetadata, CONTEXT, fromS3Metadata } from './metadata.ts';

export interface ReadDeps {
  readonly s3: S3Client;
  readonly keyring: KmsKeyringNode;
  readonly bucket: string;
}

/** What a decoded archive proved about itself. */
export interface DecodedArchive {
  readonly archiveKey: string;
  readonly source: string;
  readonly originalKey: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly metadata?: ArchiveMetadata;
}

const COLD = new Set(['GLACIER', 'DEEP_ARCHIVE']);

/** Fails with ColdObjectError when the archive must be restored by S3 before it can be read. */
export async function assertReadable(
  deps: ReadDeps,
  archiveKey: string,
): Promise<ArchiveMetadata | undefined> {
  const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: archiveKey }));
  const storageClass = head.StorageClass ?? 'STANDARD';
  if (COLD.has(storageClass) && !head.Restore?.includes('ongoing-request="false"')) {
    throw new ColdObjectError(archiveKey, storageClass, head.Restore ? 'in-progress' : 'not-started');
  }
  return fromS3Metadata(head.Metadata);
}

function checkContext(archiveKey: string, context: Record<string, string>) {
  const need = (k: string) => {
    const v = context[k];
    if (v === undefined) throw new IntegrityError(archiveKey, `encryption context lacks ${k}`);
    return v;
  };
  const source = need(CONTEXT.source);
  const bucket = need(CONTEXT.bucket);
  const key = need(CONTEXT.key);
  const sha256 = need(CONTEXT.sha256);
  const parsed = parseArchiveKey(archiveKey);
  // The context is authenticated; the key is not. An archive moved or copied to another key,
  // or swapped with another archive, names a different object in its context.
  if (!parsed || parsed.id !== archiveId({ bucket, key, sha256 }) || parsed.source !== source) {
    throw new IntegrityError(archiveKey, `encryption context names another object (${bucket}/${key})`);
  }
  return { source, originalKey: key, sha256, codec: need(CONTEXT.codec) as Codec };
}

/**
 * Decrypts, checks and decompresses one archive into `sink`. The digest is checked against the
 * authenticated encryption context; on any mismatch the returned promise rejects, so callers must
 * treat what reached the sink as provisional until it resolves.
 */
export async function decodeArchive(
  deps: ReadDeps,
  archiveKey: string,
  sink: Writable,
): Promise<DecodedArchive> {
  const metadata = await assertReadable(deps, archiveKey);
  const res = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: archiveKey }));
  const decrypting = decryptingStream(deps.keyring);
  const contextReady = encryptionContextOf(decrypting);
  const compressed = new PassThrough({ highWaterMark: 1024 * 1024 });
  const decrypted = pipeline(res.Body as Readable, decrypting, compressed);
  decrypted.catch(() => undefined);
  let ctx: ReturnType<typeof checkContext>;
  try {
    ctx = checkContext(
      archiveKey,
      (await Promise.race([contextReady, decrypted.then(() => ({}))])) as Record<string, string>,
    );
  } catch (error) {
    decrypting.destroy();
    throw wrap(archiveKey, error);
  }
  if (metadata && metadata.sha256 !== ctx.sha256) {
    decrypting.destroy();
    throw new IntegrityError(archiveKey, 'metadata digest differs from the authenticated one');
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
    originalKey: ctx.originalKey,
    sha256: ctx.sha256,
    bytes: digest.bytes,
    ...(metadata ? { metadata } : {}),
  };
}

function wrap(archiveKey: string, error: unknown): Error {
  if (error instanceof IntegrityError || error instanceof ColdObjectError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new IntegrityError(archiveKey, `cannot be decoded: ${message}`, { cause: error });
}
