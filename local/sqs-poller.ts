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
   * means a message whose `logvault dev` was killed comes back within seconds, not hours. The
   * price: when the emulator is slow to answer a round of renewals (a batch of hundreds of jobs
   * keeps it busy), some messages reappear while their handler still runs and are delivered
   * twice, which the handlers settle as duplicates, as they must for SQS anyway.
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

/** SQS takes at most this many entries in one receive, delete or visibility call. */
const SQS_BATCH = 10;
/** Lambda's synchronous invocation payload limit: gathering stops before an event outgrows it. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** What one record adds to the event beyond its body (ids, receipt handle, attributes). */
const RECORD_OVERHEAD_BYTES = 1024;

const chunks = <T>(items: readonly T[]): T[][] =>
  Array.from({ length: Math.ceil(items.length / SQS_BATCH) }, (_, i) =>
    items.slice(i * SQS_BATCH, (i + 1) * SQS_BATCH),
  );

/** When a batch is complete: full, as large as an invocation may be, or its window over. */
export function batchComplete(
  trigger: Pick<QueueTrigger, 'batchSize' | 'batchingWindowSeconds'>,
  gathered: { count: number; bytes: number; elapsedMs: number },
): boolean {
  return (
    gathered.count >= trigger.batchSize ||
    gathered.bytes >= MAX_EVENT_BYTES ||
    gathered.elapsedMs >= trigger.batchingWindowSeconds * 1000
  );
}

/**
 * Polls one queue the way Lambda's event-source mapping does: from the first message received,
 * it gathers up to BatchSize (10 per receive, as SQS allows) until the batching window passes,
 * then invokes the handler once per batch, deletes the succeeded messages and leaves the failed
 * ones to be retried and, after the queue's maxReceiveCount, moved to its dead-letter queue by
 * SQS itself.
 */
export function startPoller(
  sqs: SQSClient,
  trigger: QueueTrigger,
  opts: PollerOptions,
): { stop(): Promise<void> } {
  let stopping = false;
  const abort = new AbortController();
  const lease = opts.leaseSeconds ?? 10;

  async function setVisibility(messages: readonly Message[], seconds: number): Promise<void> {
    await Promise.all(
      chunks(messages).map((part) =>
        sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: trigger.queueUrl,
            Entries: part.map((m, i) => ({
              Id: String(i),
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: seconds,
            })),
          }),
        ),
      ),
    );
  }

  /** Keeps the batch hidden while it is handled; a failed or late renewal only risks a duplicate delivery. */
  function hold(messages: readonly Message[]): () => void {
    const renew = setInterval(
      () => setVisibility(messages, lease).catch(() => undefined),
      (lease * 1000) / 3,
    );
    return () => clearInterval(renew);
  }

  /** Messages stay hidden for what is left of the window and then a lease, as the queue's timeout would keep them. */
  async function receive(max: number, waitSeconds: number, windowLeftMs: number): Promise<Message[]> {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: trigger.queueUrl,
        MaxNumberOfMessages: Math.min(max, SQS_BATCH),
        WaitTimeSeconds: waitSeconds,
        VisibilityTimeout: lease + Math.ceil(Math.max(windowLeftMs, 0) / 1000),
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: abort.signal },
    );
    return Messages;
  }

  async function gather(messages: Message[]): Promise<void> {
    const started = Date.now();
    let bytes = 0;
    const add = (more: Message[]) => {
      messages.push(...more);
      for (const m of more) bytes += (m.Body?.length ?? 0) + RECORD_OVERHEAD_BYTES;
    };
    const windowLeft = () => trigger.batchingWindowSeconds * 1000 - (Date.now() - started);
    add(await receive(trigger.batchSize, 1, windowLeft()));
    if (messages.length === 0) return;
    while (
      !stopping &&
      !batchComplete(trigger, { count: messages.length, bytes, elapsedMs: Date.now() - started })
    ) {
      const left = windowLeft();
      const more = await receive(
        trigger.batchSize - messages.length,
        Math.min(Math.floor(left / 1000), 20),
        left,
      );
      if (more.length === 0 && left < 1000) await new Promise((r) => setTimeout(r, Math.max(left, 0)));
      add(more);
    }
  }

  async function once(): Promise<void> {
    const messages: Message[] = [];
    await gather(messages);
    if (messages.length === 0) return;
    // Renewed only once gathered: renewing a window's thousands of messages every few seconds
    // would be traffic Lambda's own poller never sends.
    const release = hold(messages);
    try {
      await invoke(messages);
    } finally {
      release();
    }
  }

  async function invoke(messages: Message[]): Promise<void> {
    const event = toEvent(trigger, messages, opts.region);
    let failed: Set<string>;
    let error: unknown;
    try {
      failed = failedMessageIds(trigger, event, await trigger.fn.invoke(event));
    } catch (e) {
      error = e;
      failed = new Set(event.Records.map((r) => r.messageId));
    }
    const succeeded = messages.filter((m) => !failed.has(m.MessageId ?? ''));
    const retried = messages.filter((m) => failed.has(m.MessageId ?? ''));
    await Promise.all(
      chunks(succeeded).map((part) =>
        sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: trigger.queueUrl,
            Entries: part.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
          }),
        ),
      ),
    );
    if (retried.length > 0) await setVisibility(retried, opts.retryDelaySeconds);
    opts.onBatch?.({ trigger, received: messages.length, failed: retried.length, error });
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
