import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { logText } from '#local/sample-logs.ts';
import { archiveObject } from '#shared/archive/archive-object.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { decodeArchive } from '#shared/archive/open-archive.ts';
import { createKms } from '#shared/clients/aws.ts';
import { archiveDeps } from '../helpers/archive.ts';
import { freshCloud } from '../helpers/cloud.ts';

const MiB = 1024 * 1024;
const SIZE = 1100 * MiB;
let cloud: LocalCloud;

/** 1.1 GiB of log text, generated block by block so the test itself never holds it. */
function* bigLog(): Generator<Buffer> {
  const block = Buffer.from(logText(12_000, 9));
  let sent = 0;
  for (let i = 0; sent < SIZE; i++) {
    // Some incompressible text per block keeps the archive large enough to need a multipart upload.
    const noise = `${randomBytes(48 * 1024).toString('base64')}\n`;
    const chunk = Buffer.concat([Buffer.from(`# block ${i} ${noise}`), block]).subarray(0, SIZE - sent);
    sent += chunk.length;
    yield chunk;
  }
}

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
});
afterAll(() => cloud?.stop());

describe('an object over 1 GiB', () => {
  it('is archived by streaming, in bounded memory, and restores to the same digest', async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    const ingest = cloud.outputs.IngestBucketName as string;
    const hash = createHash('sha256');
    const source = Readable.from(
      (function* () {
        for (const chunk of bigLog()) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
    );
    await new Upload({
      client: s3,
      params: { Bucket: ingest, Key: 'big/huge.log', Body: source },
      partSize: 64 * MiB,
      queueSize: 2,
    }).done();
    const expected = hash.digest('hex');

    const keyring = archiveKeyring(cloud.outputs.ArchiveKeyArn as string, createKms());
    const bucket = cloud.outputs.ArchiveBucketName as string;
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const outcome = await archiveObject(
      { bucket: ingest, key: 'big/huge.log', eventTime: new Date().toISOString() },
      { ...archiveDeps(cloud, s3), keyring },
    );
    clearInterval(sampler);

    expect(outcome.status).toBe('archived');
    if (outcome.status !== 'archived') return;
    expect(outcome.bytesIn).toBe(SIZE);
    // Buffering the object would cost over 1 GiB; streaming stays within a few parts.
    expect((peak - baseline) / MiB).toBeLessThan(400);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: outcome.archiveKey }));
    expect(head.ETag).toMatch(/-\d+"$/);

    const decoded = await decodeArchive(
      { s3, keyring, bucket, ingestBucket: ingest },
      outcome.archiveKey,
      new Writable({ write: (_c, _e, done) => done() }),
    );
    expect(decoded.sha256).toBe(expected);
    expect(decoded.bytes).toBe(SIZE);
  }, 600_000);
});
