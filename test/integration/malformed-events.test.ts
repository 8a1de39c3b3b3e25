import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { listArchives } from '#shared/archive/list.ts';
import { MalformedEventError } from '#shared/errors.ts';
import { captureOutput } from '../helpers/capture-logs.ts';
import { freshCloud } from '../helpers/cloud.ts';
import { s3Notification, sqsEvent, sqsRecord } from '../helpers/events.ts';

let cloud: LocalCloud;
let s3: S3Client;
let sqs: SQSClient;
let ingestBucket: string;
let archiveQueue: string;

const fn = (logicalId: string) => {
  const found = cloud.functions.functions.find((f) => f.logicalId === logicalId);
  if (!found) throw new Error(`no function ${logicalId}`);
  return found as LocalFunction;
};
const failed = (res: unknown) =>
  (res as SQSBatchResponse).batchItemFailures.map((f) => f.itemIdentifier).sort();

/** Takes every archive job off the archive queue (nothing polls it in these tests) and gives their keys. */
async function queuedJobKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: archiveQueue, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return keys.sort();
    for (const m of Messages) keys.push((JSON.parse(m.Body ?? '{}') as { key: string }).key);
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: archiveQueue,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
}

const snsEnvelope = (message: string) =>
  JSON.stringify({
    Type: 'Notification',
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:logs',
    Message: message,
  });

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
  ingestBucket = cloud.outputs.IngestBucketName as string;
  archiveQueue = cloud.outputs.ArchiveQueueUrl as string;
});
afterAll(() => cloud?.stop());
beforeEach(async () => {
  await queuedJobKeys();
});

describe('one bad record among good ones fails alone', () => {
  it('ingest queues jobs for the good notifications, skips test and delete events, and fails only the garbage', async () => {
    const res = await fn('IngestLambdaFunction').invoke(
      sqsEvent(
        sqsRecord(s3Notification(ingestBucket, 'mixed/a b+c.log'), 'good'),
        sqsRecord('{"Records": [', 'not-json'),
        sqsRecord(
          JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: ingestBucket }),
          'test-event',
        ),
        sqsRecord(snsEnvelope(s3Notification(ingestBucket, 'mixed/via-sns.log')), 'sns'),
        sqsRecord(snsEnvelope('{"hello":"world"}'), 'sns-garbage'),
        sqsRecord(
          JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }),
          'eventbridge',
        ),
        sqsRecord(s3Notification(ingestBucket, 'mixed/gone.log', 'ObjectRemoved:Delete'), 'delete'),
      ),
    );
    expect(failed(res)).toEqual(['eventbridge', 'not-json', 'sns-garbage']);
    expect(await queuedJobKeys()).toEqual(['mixed/a b+c.log', 'mixed/via-sns.log']);
  });

  it('ingest fails 10,000 garbage records one by one and still queues the one good notification', async () => {
    const garbage = Array.from({ length: 10_000 }, (_, i) =>
      sqsRecord(i % 2 ? `garbage ${i}` : JSON.stringify({ Records: [{ n: i }] }), `g-${i}`),
    );
    const good = sqsRecord(s3Notification(ingestBucket, 'crowd/only-good.log'), 'good');
    const logs = captureOutput();
    let res: unknown;
    try {
      res = await fn('IngestLambdaFunction').invoke(
        sqsEvent(...garbage.slice(0, 5000), good, ...garbage.slice(5000)),
      );
    } finally {
      logs.stop();
    }
    expect(failed(res)).toEqual(garbage.map((r) => r.messageId).sort());
    const failures = logs.records().filter((r) => r.message === 'record failed');
    expect(failures).toHaveLength(10_000);
    expect(failures.every((r) => (r.error as { name: string }).name === 'PoisonMessageError')).toBe(true);
    expect(await queuedJobKeys()).toEqual(['crowd/only-good.log']);
  });

  it('archive archives the good job, drops a vanished source, and fails only the garbage', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: ingestBucket, Key: 'mixed-archive/ok.log', Body: 'fine\n' }),
    );
    const job = (key: string) =>
      JSON.stringify({
        bucket: ingestBucket,
        key,
        source: 'mixed-archive',
        policy: 'standard',
        eventTime: new Date().toISOString(),
      });
    const res = await fn('ArchiveLambdaFunction').invoke(
      sqsEvent(
        sqsRecord(job('mixed-archive/ok.log'), 'good'),
        sqsRecord(job('mixed-archive/never-there.log'), 'vanished'),
        sqsRecord('bucket=b&key=k', 'not-json'),
        sqsRecord(s3Notification(ingestBucket, 'mixed-archive/ok.log'), 'wrong-queue'),
      ),
    );
    expect(failed(res)).toEqual(['not-json', 'wrong-queue']);
    const archived: string[] = [];
    for await (const e of listArchives(s3, cloud.outputs.ArchiveBucketName as string, {
      source: 'mixed-archive',
    }))
      archived.push(e.archiveKey);
    expect(archived).toHaveLength(1);
  });

  it('provision launches the good request and fails only the garbage', async () => {
    const api = await fn('ApiLambdaFunction').invoke({
      routeKey: 'POST /instances',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mixed-1', instanceType: 't4g.micro', backupFrequency: 'rate(1 hour)' }),
      requestContext: { requestId: 'r-mixed' },
    });
    const { requestId } = JSON.parse((api as { body: string }).body) as { requestId: string };
    const res = await fn('ProvisionLambdaFunction').invoke(
      sqsEvent(
        sqsRecord(JSON.stringify({ requestId }), 'good'),
        sqsRecord('requestId=1', 'not-json'),
        sqsRecord('{"requestId":"../../x"}', 'bad-id'),
      ),
    );
    expect(failed(res)).toEqual(['bad-id', 'not-json']);
    const status = await fn('ApiLambdaFunction').invoke({
      routeKey: 'GET /instances/requests/{requestId}',
      pathParameters: { requestId },
      requestContext: { requestId: 'r-status' },
    });
    expect(JSON.parse((status as { body: string }).body)).toMatchObject({ status: 'running' });
  });

  it('sweep runs the good continuation, fails only the garbage, and refuses an event that is neither', async () => {
    const sweep = fn('SweepLambdaFunction');
    const res = await sweep.invoke(
      sqsEvent(
        sqsRecord(JSON.stringify({ kind: 'sweep-continue', now: new Date().toISOString() }), 'good'),
        sqsRecord('continue please', 'not-json'),
      ),
    );
    expect(failed(res)).toEqual(['not-json']);
    await expect(sweep.invoke({ detail: {} })).rejects.toBeInstanceOf(MalformedEventError);
  });
});
