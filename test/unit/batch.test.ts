import { setTimeout as sleep } from 'node:timers/promises';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqsBatch } from '#shared/batch.ts';
import { fromMessageAttributes } from '#shared/dead-letter.ts';
import { MalformedEventError, PoisonMessageError, RefusedMessageError } from '#shared/errors.ts';
import { type CapturedOutput, captureOutput } from '../helpers/capture-logs.ts';
import { sqsEvent, sqsRecord } from '../helpers/events.ts';
import { lambdaContext } from '../helpers/lambda.ts';

let logs: CapturedOutput;
beforeEach(() => {
  logs = captureOutput();
});
afterEach(() => logs.stop());

// Each record waits the milliseconds its body names, then fails if the body says so.
const handler = sqsBatch(async (record) => {
  const [ms, verdict] = record.body.split(' ');
  await sleep(Number(ms));
  if (verdict === 'bad') throw new PoisonMessageError('bad record');
});
const failedIds = (res: { batchItemFailures: { itemIdentifier: string }[] }) =>
  res.batchItemFailures.map((f) => f.itemIdentifier).sort();

describe('sqsBatch', () => {
  it('keeps concurrent invocations apart: each reports only its own failures', async () => {
    const [a, b] = await Promise.all([
      handler(sqsEvent(sqsRecord('30 bad', 'a-1'), sqsRecord('5 ok', 'a-2')), lambdaContext()),
      handler(sqsEvent(sqsRecord('1 ok', 'b-1'), sqsRecord('20 bad', 'b-2')), lambdaContext()),
    ]);
    expect(failedIds(a)).toEqual(['a-1']);
    expect(failedIds(b)).toEqual(['b-2']);
  });

  it('reports every record of a batch that fails entirely, instead of throwing', async () => {
    const res = await handler(sqsEvent(sqsRecord('0 bad', 'x'), sqsRecord('0 bad', 'y')), lambdaContext());
    expect(failedIds(res)).toEqual(['x', 'y']);
  });

  it('counts failures by kind in one metric per kind', async () => {
    await handler(
      sqsEvent(...Array.from({ length: 50 }, (_, i) => sqsRecord('0 bad', `m-${i}`))),
      lambdaContext(),
    );
    const metrics = logs.records().filter((r) => '_aws' in r && 'Failures' in r);
    expect(metrics).toEqual([expect.objectContaining({ kind: 'PoisonMessageError', Failures: 50 })]);
  });

  it('refuses an event without Records as a whole', async () => {
    await expect(handler({ Records: { 0: sqsRecord('0 ok') } }, lambdaContext())).rejects.toBeInstanceOf(
      MalformedEventError,
    );
  });
});

describe('sqsBatch with a dead-letter queue', () => {
  const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const mock = mockClient(sqs);
  const queueUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/lv-dlq';
  beforeEach(() => mock.reset());
  const accepting = () =>
    mock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `dlq-${e.Id}`, MD5OfMessageBody: 'x' })),
    }));
  // Bodies: "refuse" throws a refusal, "poison" a poison message, "flaky" a transient error.
  const consumer = sqsBatch(
    async (record) => {
      if (record.body === 'refuse') throw new RefusedMessageError('foreign-bucket', 'names another bucket');
      if (record.body === 'poison') throw new PoisonMessageError('not JSON');
      if (record.body === 'flaky') throw new Error('socket hang up');
    },
    { deadLetter: { sqs, queueUrl } },
  );
  const sentEntries = () =>
    mock.commandCalls(SendMessageBatchCommand).flatMap((c) => c.args[0].input.Entries ?? []);

  it('sends refused and poison records there at once, with their reason, and reports them done', async () => {
    accepting();
    const res = await consumer(
      sqsEvent(
        sqsRecord('refuse', 'r'),
        sqsRecord('poison', 'p'),
        sqsRecord('flaky', 'f'),
        sqsRecord('fine', 'ok'),
      ),
      lambdaContext(),
    );
    expect(failedIds(res)).toEqual(['f']);
    const sent = sentEntries();
    expect(sent.map((e) => e.MessageBody).sort()).toEqual(['poison', 'refuse']);
    expect(mock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.QueueUrl).toBe(queueUrl);
    const notes = sent.map((e) => fromMessageAttributes(e.MessageAttributes));
    expect(notes).toContainEqual({
      reason: 'foreign-bucket',
      error: 'names another bucket',
      messageId: 'r',
      receiveCount: 1,
    });
    expect(notes).toContainEqual({ reason: 'malformed', error: 'not JSON', messageId: 'p', receiveCount: 1 });
  });

  it('logs each refusal with its reason and counts it by reason, apart from failures', async () => {
    accepting();
    await consumer(
      sqsEvent(sqsRecord('refuse', 'r1'), sqsRecord('refuse', 'r2'), sqsRecord('flaky', 'f')),
      lambdaContext(),
    );
    const refusals = logs.records().filter((r) => r.message === 'message refused');
    expect(refusals.map((r) => r.messageId).sort()).toEqual(['r1', 'r2']);
    expect(refusals[0]).toMatchObject({
      reason: 'foreign-bucket',
      error: { name: 'RefusedMessageError', message: 'names another bucket' },
    });
    const emf = logs.records().filter((r) => '_aws' in r);
    expect(emf.filter((r) => 'Refused' in r)).toEqual([
      expect.objectContaining({ reason: 'foreign-bucket', Refused: 2 }),
    ]);
    expect(emf.filter((r) => 'Failures' in r)).toEqual([
      expect.objectContaining({ kind: 'Error', Failures: 1 }),
    ]);
  });

  it('packs many poison records ten to a request', async () => {
    accepting();
    const res = await consumer(
      sqsEvent(...Array.from({ length: 25 }, (_, i) => sqsRecord('poison', `p-${i}`))),
      lambdaContext(),
    );
    expect(failedIds(res)).toEqual([]);
    expect(mock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input.Entries?.length)).toEqual([
      10, 10, 5,
    ]);
  });

  it('leaves the records on their queue for a retry when the dead-letter queue refuses them', async () => {
    mock.on(SendMessageBatchCommand).rejects(new Error('AccessDenied'));
    const res = await consumer(sqsEvent(sqsRecord('refuse', 'r'), sqsRecord('poison', 'p')), lambdaContext());
    expect(failedIds(res)).toEqual(['p', 'r']);
    expect(logs.records().some((r) => String(r.message).startsWith('could not dead-letter'))).toBe(true);
  });

  it('leaves on the queue exactly the records whose copy was not accepted', async () => {
    mock
      .on(SendMessageBatchCommand)
      .callsFake((input: { Entries: { Id: string; MessageAttributes: never }[] }) => {
        const byNote = input.Entries.map((e) => ({
          id: e.Id,
          note: fromMessageAttributes(e.MessageAttributes),
        }));
        return {
          Successful: byNote
            .filter((e) => e.note?.messageId !== 'p2')
            .map((e) => ({ Id: e.id, MessageId: 'x', MD5OfMessageBody: 'x' })),
          Failed: byNote
            .filter((e) => e.note?.messageId === 'p2')
            .map((e) => ({ Id: e.id, Code: 'InternalError', SenderFault: false })),
        };
      });
    const res = await consumer(
      sqsEvent(sqsRecord('poison', 'p1'), sqsRecord('poison', 'p2')),
      lambdaContext(),
    );
    expect(failedIds(res)).toEqual(['p2']);
  });
});
