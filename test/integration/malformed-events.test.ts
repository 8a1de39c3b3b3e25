import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DeleteMessageBatchCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { listArchives } from '#shared/archive/list.ts';
import { fromMessageAttributes } from '#shared/dead-letter.ts';
import { MalformedEventError } from '#shared/errors.ts';
import { queueDepth } from '../helpers/archive.ts';
import { captureOutput } from '../helpers/capture-logs.ts';
import { freshCloud } from '../helpers/cloud.ts';
import { readDeadLetters } from '../helpers/dead-letters.ts';
import { s3Notification, sqsEvent, sqsRecord } from '../helpers/events.ts';
import { packIndexes } from '../helpers/packs.ts';

let cloud: LocalCloud;
let s3: S3Client;
let sqs: SQSClient;
let ingestBucket: string;
let archiveQueue: string;

/** Takes every message off a dead-letter queue and gives, for each, the original message id and its reason. */
async function deadLettered(queue: 'IngestDeadLetterQueueUrl' | 'ArchiveDeadLetterQueueUrl') {
  const letters = await readDeadLetters(sqs, [cloud.outputs[queue] as string], { take: true });
  return letters.map((l) => [l.note?.messageId, l.note?.reason]).sort();
}

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
  it('ingest queues jobs for the good notifications, skips test and delete events, and dead-letters only the garbage, at once', async () => {
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
    expect(failed(res)).toEqual([]);
    expect(await deadLettered('IngestDeadLetterQueueUrl')).toEqual([
      ['eventbridge', 'malformed'],
      ['not-json', 'malformed'],
      ['sns-garbage', 'malformed'],
    ]);
    expect(await queuedJobKeys()).toEqual(['mixed/a b+c.log', 'mixed/via-sns.log']);
  });

  it('ingest dead-letters 1,000 garbage records one by one and still queues the one good notification', async () => {
    // The emulator's SQS spends time in proportion to a queue's length on every message sent or
    // received (moto recomputes every queue attribute, the message count included, on each send),
    // so filling a dead-letter queue is quadratic there: this batch is 1,000 records, and the
    // queue is counted and sampled rather than read whole. The 10,000-record batch, dead-lettered
    // the same way, runs against a stub endpoint in test/unit/handlers/malformed-events.test.ts.
    const count = 1_000;
    const garbage = Array.from({ length: count }, (_, i) =>
      sqsRecord(i % 2 ? `garbage ${i}` : JSON.stringify({ Records: [{ n: i }] }), `g-${i}`),
    );
    const good = sqsRecord(s3Notification(ingestBucket, 'crowd/only-good.log'), 'good');
    const logs = captureOutput();
    let res: unknown;
    try {
      // What is checked is what becomes of each record, however loaded the machine running the
      // emulator: the invocation gets more than the function's 30 s.
      res = await fn('IngestLambdaFunction').invoke(
        sqsEvent(...garbage.slice(0, count / 2), good, ...garbage.slice(count / 2)),
        { timeoutMs: 300_000 },
      );
    } finally {
      logs.stop();
    }
    expect(failed(res)).toEqual([]);
    const failures = logs.records().filter((r) => r.message === 'record failed');
    expect(failures).toHaveLength(count);
    expect(failures.every((r) => (r.error as { name: string }).name === 'PoisonMessageError')).toBe(true);
    const dlq = cloud.outputs.IngestDeadLetterQueueUrl as string;
    expect(await queueDepth(sqs, dlq)).toBe(count);
    const { Messages: sample = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'] }),
    );
    const ids = new Set(garbage.map((r) => r.messageId));
    for (const m of sample) {
      const note = fromMessageAttributes(m.MessageAttributes);
      expect(note?.reason).toBe('malformed');
      expect(ids.has(note?.messageId ?? '')).toBe(true);
    }
    expect(sample.length).toBeGreaterThan(0);
    await sqs.send(new PurgeQueueCommand({ QueueUrl: dlq }));
    expect(await queuedJobKeys()).toEqual(['crowd/only-good.log']);
  }, 300_000);

  it('archive archives the good jobs, old shape and new, drops a vanished source, and dead-letters only the garbage', async () => {
    for (const key of ['mixed-archive/ok.log', 'mixed-archive/new-shape.log'])
      await s3.send(new PutObjectCommand({ Bucket: ingestBucket, Key: key, Body: 'fine\n' }));
    const eventTime = new Date().toISOString();
    // Jobs queued before the ingest function stopped naming the source and policy still run.
    const oldShape = (key: string) =>
      JSON.stringify({ bucket: ingestBucket, key, source: 'mixed-archive', policy: 'standard', eventTime });
    const res = await fn('ArchiveLambdaFunction').invoke(
      sqsEvent(
        sqsRecord(oldShape('mixed-archive/ok.log'), 'good'),
        sqsRecord(
          JSON.stringify({ bucket: ingestBucket, key: 'mixed-archive/new-shape.log', eventTime }),
          'new',
        ),
        sqsRecord(oldShape('mixed-archive/never-there.log'), 'vanished'),
        sqsRecord('bucket=b&key=k', 'not-json'),
        sqsRecord(s3Notification(ingestBucket, 'mixed-archive/ok.log'), 'wrong-queue'),
      ),
    );
    expect(failed(res)).toEqual([]);
    expect(await deadLettered('ArchiveDeadLetterQueueUrl')).toEqual([
      ['not-json', 'malformed'],
      ['wrong-queue', 'malformed'],
    ]);
    // Both good logs are small, so they are stored as members of the pack their batch wrote.
    const archived: string[] = [];
    for await (const e of listArchives(s3, cloud.outputs.ArchiveBucketName as string, {
      source: 'mixed-archive',
    }))
      archived.push(e.archiveKey);
    for (const index of (await packIndexes(s3, cloud.outputs.ArchiveBucketName as string)).values())
      for (const m of index.members) if (m.source === 'mixed-archive') archived.push(`${index.key}#${m.id}`);
    expect(archived).toHaveLength(2);
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
