import {
  type MessageAttributeValue,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { type PoisonMessageError, RefusedMessageError } from './errors.ts';
import { mapLimit } from './map-limit.ts';

/**
 * Why a message was put into its dead-letter queue by logvault itself, rather than by SQS after
 * its receives ran out. Travels as message attributes on the dead-lettered copy, whose body is the
 * original body, unchanged (so `logvault redrive` can send it back as it came).
 */
export interface DeadLetterNote {
  /** `malformed`, or the RefusalReason of a refused message. */
  readonly reason: string;
  /** The error's message: it names the problem, never the body. */
  readonly error: string;
  /** The original message's id, which the function's log lines about it carry. */
  readonly messageId: string;
  /** How often the original had been received when it was dead-lettered. */
  readonly receiveCount?: number;
}

const ATTRIBUTE = {
  reason: 'logvault-reason',
  error: 'logvault-error',
  messageId: 'logvault-message-id',
  receiveCount: 'logvault-receive-count',
} as const;
const MAX_ERROR_CHARS = 1000;

export function noteFor(record: SQSRecord, error: PoisonMessageError): DeadLetterNote {
  const receives = Number(record.attributes?.ApproximateReceiveCount);
  return {
    reason: error instanceof RefusedMessageError ? error.reason : 'malformed',
    error: error.message.slice(0, MAX_ERROR_CHARS),
    messageId: record.messageId,
    ...(Number.isInteger(receives) && receives > 0 ? { receiveCount: receives } : {}),
  };
}

export function toMessageAttributes(note: DeadLetterNote): Record<string, MessageAttributeValue> {
  const text = (StringValue: string) => ({ DataType: 'String', StringValue });
  return {
    [ATTRIBUTE.reason]: text(note.reason),
    [ATTRIBUTE.error]: text(note.error),
    [ATTRIBUTE.messageId]: text(note.messageId),
    ...(note.receiveCount === undefined
      ? {}
      : { [ATTRIBUTE.receiveCount]: { DataType: 'Number', StringValue: String(note.receiveCount) } }),
  };
}

/** The note on a dead-lettered copy; undefined for a message SQS itself moved there. */
export function fromMessageAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): DeadLetterNote | undefined {
  const value = (name: string) => attributes?.[name]?.StringValue;
  const reason = value(ATTRIBUTE.reason);
  const messageId = value(ATTRIBUTE.messageId);
  if (reason === undefined || messageId === undefined) return undefined;
  const receives = value(ATTRIBUTE.receiveCount);
  return {
    reason,
    error: value(ATTRIBUTE.error) ?? '',
    messageId,
    ...(receives === undefined ? {} : { receiveCount: Number(receives) }),
  };
}

/** SQS's limit on one message, and on one SendMessageBatch request as a whole. */
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_BATCH_ENTRIES = 10;

/** What SQS counts towards a message's size: its body and each attribute's name, type and value. */
function sizeOf(entry: Pick<SendMessageBatchRequestEntry, 'MessageBody' | 'MessageAttributes'>): number {
  let bytes = Buffer.byteLength(entry.MessageBody ?? '');
  for (const [name, a] of Object.entries(entry.MessageAttributes ?? {}))
    bytes +=
      Buffer.byteLength(name) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? '');
  return bytes;
}

/** Groups items into batches of at most `maxEntries`, each under `maxBytes` in all (an oversized item goes alone). */
export function packBatches<T>(
  items: readonly T[],
  size: (item: T) => number,
  maxEntries = MAX_BATCH_ENTRIES,
  maxBytes = MAX_BATCH_BYTES,
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const n = size(item);
    if (current.length > 0 && (current.length >= maxEntries || bytes + n > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

export interface DeadLetterResult {
  /** Message ids of the records whose copy the dead-letter queue accepted. */
  readonly sent: Set<string>;
  /** Why the others were not accepted (each call or entry that failed). */
  readonly errors: unknown[];
}

/**
 * Sends a copy of each record, with its note, to the dead-letter queue. A record whose copy was
 * not accepted is left out of `sent`: its caller leaves it on its queue to be retried, so it is
 * never lost between the two queues. Once `signal` aborts (the invocation's deadline), no further
 * request is started, and the records not yet sent are left for that retry too.
 */
export async function sendToDeadLetterQueue(
  sqs: SQSClient,
  queueUrl: string,
  letters: readonly { record: SQSRecord; error: PoisonMessageError }[],
  signal?: AbortSignal,
): Promise<DeadLetterResult> {
  const entries = letters.map(({ record, error }) => ({
    messageId: record.messageId,
    MessageBody: record.body,
    MessageAttributes: toMessageAttributes(noteFor(record, error)),
  }));
  const sent = new Set<string>();
  const errors: unknown[] = [];
  await mapLimit(packBatches(entries, sizeOf), 10, async (batch) => {
    if (signal?.aborted) {
      errors.push(signal.reason);
      return;
    }
    // Ids need only be unique within one request; message ids may hold characters SQS refuses there.
    const byId = new Map(batch.map((e, i) => [`${i}`, e]));
    try {
      const res = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((e, i) => ({
            Id: `${i}`,
            MessageBody: e.MessageBody,
            MessageAttributes: e.MessageAttributes,
          })),
        }),
      );
      for (const ok of res.Successful ?? []) {
        const entry = ok.Id === undefined ? undefined : byId.get(ok.Id);
        if (entry) sent.add(entry.messageId);
      }
      for (const failed of res.Failed ?? []) errors.push(new Error(`${failed.Code}: ${failed.Message}`));
    } catch (error) {
      errors.push(error);
    }
  });
  return { sent, errors };
}
