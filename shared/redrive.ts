import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * Moves every message from a dead-letter queue back to its source queue. Each batch is sent
 * before it is deleted, so a crash in between duplicates messages (which the pipeline tolerates)
 * rather than losing them.
 */
export async function redrive(
  sqs: SQSClient,
  from: string,
  to: string,
  onMoved?: (n: number) => void,
): Promise<number> {
  let moved = 0;
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: from,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        VisibilityTimeout: 60,
        MessageAttributeNames: ['All'],
      }),
    );
    if (Messages.length === 0) return moved;
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: to,
        Entries: Messages.map((m, i) => ({
          Id: String(i),
          MessageBody: m.Body ?? '',
          MessageAttributes: m.MessageAttributes,
        })),
      }),
    );
    const ok = new Set((sent.Successful ?? []).map((s) => s.Id));
    const done = Messages.filter((_, i) => ok.has(String(i)));
    if (done.length) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: from,
          Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
    moved += done.length;
    onMoved?.(moved);
    if (sent.Failed?.length)
      throw new Error(
        `redrive: ${sent.Failed.length} message(s) could not be sent back: ${sent.Failed[0]?.Message}`,
      );
  }
}
