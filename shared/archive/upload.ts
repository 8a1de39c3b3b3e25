import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  type PutObjectCommandInput,
  type S3Client,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { isAwsError } from '../errors.ts';

const PART_SIZE = 8 * 1024 * 1024;
/**
 * Sources below this size never make an archive that needs a multipart upload: compression and
 * the envelope's framing grow incompressible input by well under 1%.
 */
export const MULTIPART_SOURCE_BYTES = PART_SIZE / 2;

export interface ArchiveWrite {
  readonly bucket: string;
  readonly key: string;
  readonly body: Readable;
  readonly metadata: Record<string, string>;
  readonly kmsKeyArn: string;
  /** Storage class for an object of the given size (undefined when larger than the first read). */
  readonly storageClassFor: (size: number | undefined) => StorageClass;
  readonly tagging?: string;
  readonly objectLock?: { mode: 'GOVERNANCE' | 'COMPLIANCE'; retainUntil: Date };
  /** Stops the write: the body is destroyed, so an open multipart upload is aborted, not completed. */
  readonly signal?: AbortSignal;
}

/**
 * `exists`: the conditional write found the key taken. `upload-gone`: the multipart upload was
 * aborted under it, which a concurrent duplicate that completed first does to the uploads still
 * open under its key (see abortLeftoverUploads); whether the archive exists is for the caller to
 * check.
 */
export type WriteResult = 'written' | 'exists' | 'upload-gone';

/** Reads up to `limit` bytes ahead, to learn whether a stream is small before choosing where it goes. */
async function readAhead(
  body: Readable,
  limit: number,
): Promise<{ head: Buffer; rest?: AsyncIterator<Buffer> }> {
  const it: AsyncIterator<Buffer> = body[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  while (size <= limit) {
    const next = await it.next();
    if (next.done) return { head: Buffer.concat(chunks) };
    chunks.push(next.value);
    size += next.value.length;
  }
  return { head: Buffer.concat(chunks), rest: it };
}

async function* rejoin(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

/**
 * The client with every call but AbortMultipartUpload tied to `signal`: lib-storage takes no
 * signal for its parts or its CompleteMultipartUpload, and an upload stopped for a deadline must
 * neither wait out a slow part nor complete, yet must still be able to abort itself.
 */
function boundTo(s3: S3Client, signal: AbortSignal | undefined): S3Client {
  if (!signal) return s3;
  return new Proxy(s3, {
    get(target, prop, receiver) {
      if (prop !== 'send') return Reflect.get(target, prop, receiver);
      return (command: AbortMultipartUploadCommand, options?: object) =>
        command instanceof AbortMultipartUploadCommand
          ? target.send(command, options)
          : target.send(command, { ...options, abortSignal: signal });
    },
  });
}

/**
 * Writes an archive object only if none exists at its key (`If-None-Match: *`, honoured by both
 * PutObject and CompleteMultipartUpload), so concurrent duplicates produce one object. On any
 * failure lib-storage aborts the multipart upload; the bucket's AbortIncompleteMultipartUpload
 * rule is the backstop if the process dies first. An aborted `signal` fails the write the same way
 * (its body destroyed, its in-flight requests cancelled) rather than through lib-storage's own
 * abort, which answers at once and leaves AbortMultipartUpload to run after the caller moved on.
 */
export async function writeArchive(s3: S3Client, w: ArchiveWrite): Promise<WriteResult> {
  w.signal?.throwIfAborted();
  let body: Readable | undefined;
  const stop = () => {
    const reason = w.signal?.reason as Error;
    w.body.destroy(reason);
    body?.destroy(reason);
  };
  w.signal?.addEventListener('abort', stop, { once: true });
  try {
    return await write(s3, w, (b) => {
      body = b;
    });
  } finally {
    w.signal?.removeEventListener('abort', stop);
  }
}

async function write(
  s3: S3Client,
  w: ArchiveWrite,
  streaming: (body: Readable) => void,
): Promise<WriteResult> {
  // lib-storage would buffer the first part anyway; reading it here lets small archives go in one PUT.
  const { head, rest } = await readAhead(w.body, PART_SIZE);
  const params: Omit<PutObjectCommandInput, 'Body'> = {
    Bucket: w.bucket,
    Key: w.key,
    IfNoneMatch: '*',
    Metadata: w.metadata,
    ContentType: 'application/octet-stream',
    StorageClass: w.storageClassFor(rest ? undefined : head.length),
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: w.kmsKeyArn,
    BucketKeyEnabled: true,
    ChecksumAlgorithm: 'SHA256',
    ...(w.tagging ? { Tagging: w.tagging } : {}),
    ...(w.objectLock
      ? { ObjectLockMode: w.objectLock.mode, ObjectLockRetainUntilDate: w.objectLock.retainUntil }
      : {}),
  };
  try {
    if (!rest) {
      // Whole in memory already: one PUT, no multipart bookkeeping.
      await s3.send(new PutObjectCommand({ ...params, Body: head }), { abortSignal: w.signal });
      return 'written';
    }
    const body = Readable.from(rejoin(head, rest), { objectMode: false });
    streaming(body);
    await new Upload({
      client: boundTo(s3, w.signal),
      partSize: PART_SIZE,
      queueSize: 4,
      leavePartsOnError: false,
      params: { ...params, Body: body },
    }).done();
    return 'written';
  } catch (error) {
    if (isAwsError(error, 'PreconditionFailed', 412)) return 'exists';
    // The SDK reports an aborted request as its own AbortError; the caller wants the reason.
    if (w.signal?.aborted) throw w.signal.reason;
    if (isAwsError(error, 'NoSuchUpload')) return 'upload-gone';
    throw error;
  }
}

/**
 * Aborts multipart uploads still open under an archive key that now exists. They belong to
 * attempts that died mid-upload (a crash, a hard timeout) and can never complete, since the key
 * is taken; aborting one that is still running only makes its completion fail as it would anyway.
 * Returns how many were aborted.
 */
export async function abortLeftoverUploads(s3: S3Client, bucket: string, key: string): Promise<number> {
  const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
  const leftovers = (res.Uploads ?? []).filter((u) => u.Key === key && u.UploadId);
  for (const u of leftovers) {
    try {
      await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: u.UploadId }));
    } catch (error) {
      if (!isAwsError(error, 'NoSuchUpload', 404)) throw error;
    }
  }
  return leftovers.length;
}
