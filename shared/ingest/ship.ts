import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';

export interface ShipFile {
  readonly path: string;
  /** Key below the source folder, with `/` separators. */
  readonly relativeKey: string;
  readonly size: number;
}

/** Expands files and directories (recursively) into the files to ship, keyed relative to each argument. */
export async function collectFiles(paths: string[]): Promise<ShipFile[]> {
  const out: ShipFile[] = [];
  const walk = async (root: string, current: string): Promise<void> => {
    const info = await stat(current);
    if (info.isDirectory()) {
      const entries = await readdir(current);
      for (const e of entries.sort()) await walk(root, join(current, e));
    } else if (info.isFile()) {
      const rel = current === root ? basename(current) : relative(root, current);
      out.push({ path: current, relativeKey: rel.split(sep).join('/'), size: info.size });
    }
  };
  for (const p of paths) await walk(resolve(p), resolve(p));
  return out;
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('base64');
}

/** Largest object uploaded in one PUT, so S3 keeps a full-object SHA-256 the archiver can trust. */
const SINGLE_PUT_BYTES = 5 * 1024 * 1024 * 1024;
const ATTEMPTS = 3;

/** A body that can be read more than once: each attempt reads it anew. */
export interface ReopenableBody {
  readonly length: number;
  open(): Readable;
}

/**
 * One streamed PUT with the body's SHA-256, so S3 verifies the bytes on arrival and the archiver
 * can skip hashing them again; retried a few times, reading the body anew each time.
 */
export async function putVerified(
  s3: S3Client,
  bucket: string,
  key: string,
  body: ReopenableBody,
): Promise<void> {
  const checksum = await sha256Of(body.open());
  for (let attempt = 1; ; attempt++) {
    try {
      // A stream cannot be rewound for the SDK's own retries, so each attempt opens the body anew.
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body.open(),
          ContentLength: body.length,
          ChecksumSHA256: checksum,
        }),
      );
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS) throw error;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

/**
 * Uploads one file, whole, into the ingest bucket under `{source}/{relative key}`: an object as
 * any uploader other than a logvault shipper would put it. Files up to 5 GiB go in one verified
 * PUT; larger ones use a multipart upload.
 */
export async function shipFile(
  s3: S3Client,
  bucket: string,
  source: string,
  file: ShipFile,
): Promise<string> {
  const key = `${source}/${file.relativeKey}`;
  if (file.size > SINGLE_PUT_BYTES) {
    const body = createReadStream(file.path, { highWaterMark: 1024 * 1024 });
    const params = { Bucket: bucket, Key: key, Body: body, ChecksumAlgorithm: 'SHA256' as const };
    await new Upload({ client: s3, partSize: 64 * 1024 * 1024, queueSize: 4, params }).done();
    return key;
  }
  await putVerified(s3, bucket, key, {
    length: file.size,
    open: () => createReadStream(file.path, { highWaterMark: 1024 * 1024 }),
  });
  return key;
}
