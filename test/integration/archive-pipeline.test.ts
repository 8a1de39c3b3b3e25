import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { awkwardLogs, writeTree } from '#local/sample-logs.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { listArchives } from '#shared/archive/list.ts';
import type { ReadDeps } from '#shared/archive/open-archive.ts';
import { restoreToDirectory } from '#shared/archive/restore.ts';
import { createKms } from '#shared/clients/aws.ts';
import { collectFiles, shipFile } from '#shared/ingest/ship.ts';
import { listKeys, queueDepth } from '../helpers/archive.ts';
import { ARCHIVE_ALONE, eventually, freshCloud } from '../helpers/cloud.ts';
import { readDeadLetters } from '../helpers/dead-letters.ts';
import { sqsEvent, sqsRecord } from '../helpers/events.ts';

let cloud: LocalCloud;
let s3: S3Client;
let sqs: SQSClient;
let deps: ReadDeps;
let ingest: string;
let archive: string;

async function archivesOf(source: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of listArchives(s3, archive, { source })) keys.push(e.archiveKey);
  return keys;
}

beforeAll(async () => {
  // Every object archived alone, as v1 did: restore here reads v1 archives (packs: packing-pipeline.test.ts).
  cloud = await freshCloud(ARCHIVE_ALONE);
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
  ingest = cloud.outputs.IngestBucketName as string;
  archive = cloud.outputs.ArchiveBucketName as string;
  const keyring = archiveKeyring(cloud.outputs.ArchiveKeyArn as string, createKms());
  deps = { s3, keyring, bucket: archive, ingestBucket: ingest };
});
afterAll(() => cloud?.stop());

describe('upload → notification → ingest → archive → restore', () => {
  const files = awkwardLogs();
  const source = 'web-frontend';

  it("writes an audit log under its policy's Object Lock retention, and keeps the source", async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: ingest, Key: 'audit-trail/login.log', Body: 'alice logged in\n' }),
    );
    const [key] = await eventually(async () => {
      const k = await archivesOf('audit-trail');
      return k.length ? k : undefined;
    }, 'the audit log to be archived');
    const head = await s3.send(new HeadObjectCommand({ Bucket: archive, Key: key }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    expect((head.ObjectLockRetainUntilDate?.getTime() ?? 0) - Date.now()).toBeGreaterThan(364 * 86_400_000);
    expect(await listKeys(s3, ingest, 'audit-trail/')).toEqual(['audit-trail/login.log']);
  });

  it('restores every awkward file byte-identical', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-ship-'));
    writeTree(dir, files);
    for (const f of await collectFiles([dir])) await shipFile(s3, ingest, source, f);

    const keys = await eventually(async () => {
      const k = await archivesOf(source);
      return k.length === Object.keys(files).length ? k : undefined;
    }, 'every shipped file to be archived');

    const out = mkdtempSync(join(tmpdir(), 'lv-restore-'));
    for (const key of keys) await restoreToDirectory(deps, key, out);
    for (const [rel, content] of Object.entries(files)) {
      expect(readFileSync(join(out, source, rel)).equals(content), rel).toBe(true);
    }
  });

  it('keeps no plaintext in the archive bucket', async () => {
    const needle = files['plain.log']?.subarray(100, 132) as Buffer;
    for (const key of await listKeys(s3, archive, 'archive/')) {
      const res = await s3.send(new GetObjectCommand({ Bucket: archive, Key: key }));
      const body = Buffer.from((await res.Body?.transformToByteArray()) ?? []);
      expect(body.includes(needle), key).toBe(false);
    }
  });

  it('stores archives with SSE-KMS on the archive key, and small ones in STANDARD', async () => {
    const [key] = await archivesOf(source);
    const head = await s3.send(new HeadObjectCommand({ Bucket: archive, Key: key }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toContain(cloud.outputs.ArchiveKeyArn?.split('/').pop());
    const entries = [];
    for await (const e of listArchives(s3, archive, { source })) entries.push(e);
    for (const e of entries.filter((x) => x.archivedSize < 128 * 1024))
      expect(e.storageClass).toBe('STANDARD');
  });

  it('deletes the sources only after archiving, as the default policy asks', async () => {
    await eventually(
      async () => ((await listKeys(s3, ingest, `${source}/`)).length === 0 ? true : undefined),
      'sources deleted',
    );
  });

  it('leaves no multipart upload open', async () => {
    const res = await s3.send(new ListMultipartUploadsCommand({ Bucket: archive }));
    expect(res.Uploads ?? []).toHaveLength(0);
  });
});

describe('delivery guarantees', () => {
  it('turns three deliveries of one notification, two of them concurrent, into one archive', async () => {
    await s3.send(
      new (await import('@aws-sdk/client-s3')).PutObjectCommand({
        Bucket: ingest,
        Key: 'dupes/app.log',
        Body: 'once\n',
      }),
    );
    const archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction');
    const job = JSON.stringify({ bucket: ingest, key: 'dupes/app.log', eventTime: new Date().toISOString() });
    const results = await Promise.all([
      archiveFn?.invoke(sqsEvent(sqsRecord(job, 'a'))),
      archiveFn?.invoke(sqsEvent(sqsRecord(job, 'b'))),
    ]);
    await archiveFn?.invoke(sqsEvent(sqsRecord(job, 'c')));
    for (const r of results) expect(r).toEqual({ batchItemFailures: [] });
    await eventually(
      async () => ((await archivesOf('dupes')).length === 1 ? true : undefined),
      'the archive',
    );
    // Let any notification-driven copy of the job run too, then count again.
    await eventually(
      async () => ((await queueDepth(sqs, cloud.outputs.ArchiveQueueUrl as string)) === 0 ? true : undefined),
      'archive queue drained',
    );
    expect(await archivesOf('dupes')).toHaveLength(1);
  });

  it('skips s3:TestEvent and sends a malformed body to the dead-letter queue at once, without failing its neighbours', async () => {
    const queue = cloud.outputs.IngestQueueUrl as string;
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: queue,
        MessageBody: JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: ingest }),
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: queue, MessageBody: '{"not": "an s3 event"' }));
    await s3.send(
      new (await import('@aws-sdk/client-s3')).PutObjectCommand({
        Bucket: ingest,
        Key: 'neighbour/ok.log',
        Body: 'fine\n',
      }),
    );
    await eventually(
      async () => ((await archivesOf('neighbour')).length === 1 ? true : undefined),
      'the neighbour archived',
    );
    await eventually(
      async () =>
        (await queueDepth(sqs, cloud.outputs.IngestDeadLetterQueueUrl as string)) === 1 ? true : undefined,
      'the malformed message in the DLQ',
      60_000,
    );
    const [letter] = await readDeadLetters(sqs, [cloud.outputs.IngestDeadLetterQueueUrl as string]);
    expect(letter?.body).toBe('{"not": "an s3 event"');
    expect(letter?.note).toMatchObject({
      reason: 'malformed',
      receiveCount: 1,
      error: 'message body is not JSON',
    });
  });

  it('drops a job whose source vanished instead of retrying it forever', async () => {
    const archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction');
    const body = JSON.stringify({
      bucket: ingest,
      key: 'gone/never-there.log',
      eventTime: new Date().toISOString(),
    });
    const res = await archiveFn?.invoke(sqsEvent(sqsRecord(body)));
    expect(res).toEqual({ batchItemFailures: [] });
    expect(await archivesOf('gone')).toHaveLength(0);
  });
});
