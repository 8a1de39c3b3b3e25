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
