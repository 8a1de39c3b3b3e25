import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';

/** What the sweep queue carries: the clock reading of the run being continued. */
export const continuationSchema = z.object({ kind: z.literal('sweep-continue'), now: z.iso.datetime() });
export type Continuation = z.infer<typeof continuationSchema>;

/** Queues the rest of a run that stopped at its deadline; the same function picks it up. */
export async function continueLater(sqs: SQSClient, queueUrl: string, now: Date): Promise<void> {
  const body: Continuation = { kind: 'sweep-continue', now: now.toISOString() };
  await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(body) }));
}

/** Stop with this much time left: enough for the last chunk's deletes and the checkpoint. */
export const RESERVE_MS = 60_000;
