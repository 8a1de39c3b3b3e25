import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type DeadLetterNote, fromMessageAttributes } from '#shared/dead-letter.ts';

export interface DeadLetter {
  /** The queue's name. */
  readonly queue: string;
  /** The dead-lettered message's own id (SQS's redrive keeps the original's; logvault's copy has a new one). */
  readonly messageId: string;
  readonly body: string;
  /** Why logvault put it there; undefined when SQS moved it after its receives ran out. */
  readonly note?: DeadLetterNote;
}

/**
 * Every message in the queues, however many: received (each hidden while the read goes on) until
 * a receive comes back empty or with only messages already read (a long read outlasts the first
 * ones' hiding), then deleted with `take`, or otherwise made visible again so later reads see
 * them too.
 */
export async function readDeadLetters(
  sqs: SQSClient,
  queueUrls: readonly string[],
  opts: { take?: boolean } = {},
): Promise<DeadLetter[]> {
  const out: DeadLetter[] = [];
  for (const QueueUrl of queueUrls) {
    const seen = new Map<string, Message>();
    for (;;) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 300,
          MessageAttributeNames: ['All'],
        }),
      );
      const unseen = Messages.filter((m) => !seen.has(m.MessageId ?? ''));
      if (unseen.length === 0) break;
      for (const m of Messages) seen.set(m.MessageId ?? '', m);
    }
    const messages = [...seen.values()];
    for (let i = 0; i < messages.length; i += 10) {
      const entries = messages
        .slice(i, i + 10)
        .map((m, n) => ({ Id: String(n), ReceiptHandle: m.ReceiptHandle }));
      await sqs.send(
        opts.take
          ? new DeleteMessageBatchCommand({ QueueUrl, Entries: entries })
          : new ChangeMessageVisibilityBatchCommand({
              QueueUrl,
              Entries: entries.map((e) => ({ ...e, VisibilityTimeout: 0 })),
            }),
      );
    }
    const queue = QueueUrl.split('/').pop() ?? QueueUrl;
    for (const m of messages) {
      const note = fromMessageAttributes(m.MessageAttributes);
      out.push({ queue, messageId: m.MessageId ?? '', body: m.Body ?? '', ...(note ? { note } : {}) });
    }
  }
  return out;
}
