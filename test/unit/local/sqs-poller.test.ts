import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import type { QueueTrigger } from '#local/functions.ts';
import { failedMessageIds, startPoller } from '#local/sqs-poller.ts';
import { sqsEvent, sqsRecord } from '../../helpers/events.ts';

const trigger = (report: boolean) => ({ reportBatchItemFailures: report }) as QueueTrigger;
const event = sqsEvent(sqsRecord('a', 'm1'), sqsRecord('b', 'm2'), sqsRecord('c', 'm3'));

describe('failedMessageIds (Lambda partial batch semantics)', () => {
  it('retries only the listed messages', () => {
    expect(failedMessageIds(trigger(true), event, { batchItemFailures: [{ itemIdentifier: 'm2' }] })).toEqual(
      new Set(['m2']),
    );
  });

  it('treats an empty list or no result as full success', () => {
    expect(failedMessageIds(trigger(true), event, { batchItemFailures: [] }).size).toBe(0);
    expect(failedMessageIds(trigger(true), event, undefined).size).toBe(0);
  });

  it('fails the whole batch when the response names an unknown or empty id', () => {
    expect(
      failedMessageIds(trigger(true), event, { batchItemFailures: [{ itemIdentifier: 'nope' }] }).size,
    ).toBe(3);
    expect(failedMessageIds(trigger(true), event, { batchItemFailures: [{ itemIdentifier: '' }] }).size).toBe(
      3,
    );
  });

  it('ignores the response when the mapping does not report batch item failures', () => {
    expect(
      failedMessageIds(trigger(false), event, { batchItemFailures: [{ itemIdentifier: 'm1' }] }).size,
    ).toBe(0);
  });
});

describe('startPoller leases', () => {
  it('receives with a short lease and renews it while the handler runs', async () => {
    const sqs = new SQSClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(sqs);
    mock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm1', ReceiptHandle: 'r1', Body: '{}' }] })
      .resolves({ Messages: [] });
    mock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    mock.on(DeleteMessageBatchCommand).resolves({});
    let handled!: () => void;
    const done = new Promise<void>((r) => {
      handled = r;
    });
    const slow = {
      ...trigger(true),
      queueUrl: 'q',
      batchSize: 1,
      batchingWindowSeconds: 0,
      fn: {
        invoke: async () => {
          await new Promise((r) => setTimeout(r, 500));
          handled();
          return { batchItemFailures: [] };
        },
      },
    } as unknown as QueueTrigger;

    const poller = startPoller(sqs, slow, { region: 'us-east-1', retryDelaySeconds: 1, leaseSeconds: 0.3 });
    await done;
    await poller.stop();

    expect(mock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.VisibilityTimeout).toBe(0.3);
    const renewals = mock.commandCalls(ChangeMessageVisibilityBatchCommand);
    expect(renewals.length).toBeGreaterThanOrEqual(2);
    expect(renewals[0]?.args[0].input.Entries).toEqual([
      { Id: '0', ReceiptHandle: 'r1', VisibilityTimeout: 0.3 },
    ]);
    expect(mock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(1);
  });
});

describe('startPoller batches (Lambda batching window semantics)', () => {
  const sqs = new SQSClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
  const messages = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      MessageId: `m${from + i}`,
      ReceiptHandle: `r${from + i}`,
      Body: '{}',
    }));
  const run = async (batchSize: number, batchingWindowSeconds: number, receives: number[]) => {
    const mock = mockClient(sqs);
    // Each receive gives what is waiting, up to what it asks for, as SQS does.
    let waiting = [...receives];
    let next = 0;
    mock.on(ReceiveMessageCommand).callsFake((input: { MaxNumberOfMessages: number }) => {
      const n = Math.min(waiting[0] ?? 0, input.MaxNumberOfMessages);
      waiting = n < (waiting[0] ?? 0) ? [(waiting[0] ?? 0) - n, ...waiting.slice(1)] : waiting.slice(1);
      next += n;
      return { Messages: messages(next - n, n) };
    });
    mock.on(ChangeMessageVisibilityBatchCommand).resolves({});
    mock.on(DeleteMessageBatchCommand).resolves({});
    const batches: number[] = [];
    let handled!: () => void;
    const done = new Promise<void>((r) => {
      handled = r;
    });
    const t = {
      ...trigger(true),
      queueUrl: 'q',
      batchSize,
      batchingWindowSeconds,
      fn: {
        invoke: async (event: { Records: unknown[] }) => {
          batches.push(event.Records.length);
          handled();
          return { batchItemFailures: [{ itemIdentifier: 'm0' }] };
        },
      },
    } as unknown as QueueTrigger;
    const poller = startPoller(sqs, t, { region: 'us-east-1', retryDelaySeconds: 1 });
    await done;
    await poller.stop();
    return { batches, mock };
  };

  it('gathers past 10 messages, 10 per receive, into one invocation of the batch size', async () => {
    const { batches, mock } = await run(25, 30, [10, 10, 10]);
    expect(batches).toEqual([25]);
    const asked = mock.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages);
    expect(asked.slice(0, 3)).toEqual([10, 10, 5]);
    // 24 succeeded: deleted 10 at a time; the failed one is made visible again for its retry.
    const deletes = mock.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input.Entries?.length);
    expect(deletes.sort()).toEqual([10, 10, 4]);
    const retried = mock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .filter((c) => c.args[0].input.Entries?.[0]?.VisibilityTimeout === 1);
    expect(retried.map((c) => c.args[0].input.Entries?.map((e) => e.ReceiptHandle))).toEqual([['r0']]);
  });

  it('invokes with what it has once the batching window passes', async () => {
    const { batches } = await run(1000, 1, [3]);
    expect(batches).toEqual([3]);
  });

  it('hides what it gathers for the rest of the window and a lease', async () => {
    const { batches, mock } = await run(1000, 4, [3]);
    expect(batches).toEqual([3]);
    // Received at the window's start: hidden for its 4 s and the 10 s lease, as the queue's own
    // visibility timeout would keep it from other consumers on AWS (a renewal every third of the
    // lease would have come inside the window).
    expect(mock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.VisibilityTimeout).toBe(14);
  });

  it('takes what one receive gives when there is no window', async () => {
    const { batches } = await run(100, 0, [7, 10]);
    expect(batches).toEqual([7]);
  });
});
