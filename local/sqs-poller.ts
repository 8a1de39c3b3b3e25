import { createHash } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { QueueTrigger } from './functions.ts';

export interface PollerOptions {
  /**
   * Seconds before a failed message is visible again. Lambda waits out the queue's visibility
   * timeout (minutes here); locally a short delay keeps the retry → DLQ path observable.
   */
  readonly retryDelaySeconds: number;
  readonly region: string;
  /**
   * Seconds a received message stays hidden, renewed while its handler runs. Lambda hides it for
   * the queue's visibility timeout (90 minutes for archive jobs); a short lease that is renewed
   * means a message whose `logvault dev` was killed comes back within seconds, not hours.
   */
  readonly leaseSeconds?: number;
  readonly onBatch?: (report: {
    trigger: QueueTrigger;
    received: number;
    failed: number;
    error?: unknown;
  }) => void;
}

function toEvent(trigger: QueueTrigger, messages: Message[], region: string): SQSEvent {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId ?? '',
      receiptHandle: m.ReceiptHandle ?? '',
      body: m.Body ?? '',
      attributes: (m.Attributes ?? {}) as never,
      messageAttributes: (m.MessageAttributes ?? {}) as never,
      md5OfBody:
        m.MD5OfBody ??
        createHash('md5')
          .update(m.Body ?? '')
          .digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: trigger.queueArn,
      awsRegion: region,
    })),
  };
}

/**
 * Which messages Lambda would leave on the queue after an invocation. Without
 * ReportBatchItemFailures any result means success; with it, listed ids fail, and a malformed
 * response (an unknown or empty id) fails the whole batch, as Lambda does.
 */
export function failedMessageIds(trigger: QueueTrigger, event: SQSEvent, result: unknown): Set<string> {
  const all = new Set(event.Records.map((r) => r.messageId));
  if (!trigger.reportBatchItemFailures || result == null) return new Set();
  const failures = (result as SQSBatchResponse).batchItemFailures;
  if (!Array.isArray(failures)) return new Set();
  const ids = failures.map((f) => f?.itemIdentifier);
  if (ids.some((id) => typeof id !== 'string' || !all.has(id))) return all;
  return new Set(ids as string[]);
}

/**
 * Polls one queue the way Lambda's event-source mapping does: batches of up to BatchSize, the
 * handler invoked once per batch, succeeded messages deleted, failed ones left to be retried
 * and, after the queue's maxReceiveCount, moved to its dead-letter queue by SQS itself.
 */
export function startPoller(
  sqs: SQSClient,
  trigger: QueueTrigger,
  opts: PollerOptions,
): { stop(): Promise<void> } {
  let stopping = false;
  const abort = new AbortController();
  const lease = opts.leaseSeconds ?? 10;

  /** Keeps the batch hidden while the handler runs; a failed renewal only risks a duplicate delivery. */
  function holdWhile<T>(messages: Message[], work: Promise<T>): Promise<T> {
    const renew = setInterval(
      () => {
        sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: trigger.queueUrl,
              Entries: messages.map((m, i) => ({
                Id: String(i),
                ReceiptHandle: m.ReceiptHandle,
                VisibilityTimeout: lease,
              })),
            }),
          )
          .catch(() => undefined);
      },
      (lease * 1000) / 3,
    );
    return work.finally(() => clearInterval(renew));
  }

  async function once(): Promise<void> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: trigger.queueUrl,
        MaxNumberOfMessages: Math.min(trigger.batchSize, 10),
        WaitTimeSeconds: 1,
        VisibilityTimeout: lease,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    if (Messages.length === 0) return;
    const event = toEvent(trigger, Messages, opts.region);
    let failed: Set<string>;
    let error: unknown;
    try {
      failed = failedMessageIds(trigger, event, await holdWhile(Messages, trigger.fn.invoke(event)));
    } catch (e) {
      error = e;
      failed = new Set(event.Records.map((r) => r.messageId));
    }
    const succeeded = Messages.filter((m) => !failed.has(m.MessageId ?? ''));
    const retried = Messages.filter((m) => failed.has(m.MessageId ?? ''));
    if (succeeded.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: trigger.queueUrl,
          Entries: succeeded.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    if (retried.length > 0) {
      await sqs.send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: trigger.queueUrl,
          Entries: retried.map((m, i) => ({
            Id: String(i),
            ReceiptHandle: m.ReceiptHandle,
            VisibilityTimeout: opts.retryDelaySeconds,
          })),
        }),
      );
    }
    opts.onBatch?.({ trigger, received: Messages.length, failed: retried.length, error });
  }

  const loop = (async () => {
    while (!stopping) {
      try {
        await once();
      } catch (error) {
        if (stopping) break;
        opts.onBatch?.({ trigger, received: 0, failed: 0, error });
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  })();

  return {
    async stop() {
      stopping = true;
      abort.abort();
      await loop;
    },
  };
}
