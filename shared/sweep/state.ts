import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod';

export const STATE_KEY = '_logvault/sweeper/state.json';

const pendingSchema = z.object({
  archiveKey: z.string(),
  indexKey: z.string(),
  /** Versions of the index entry, so resolving it later needs no listing. */
  indexVersions: z.array(z.string()).default([]),
  reason: z.enum(['held', 'failed']),
  error: z.string().optional(),
});
export type PendingEntry = z.infer<typeof pendingSchema>;

const stateSchema = z.object({
  version: z.literal(1),
  /** Last expiry-index day whose every entry is resolved (deleted, re-indexed or pending). */
  sweptThrough: z.string().optional(),
  /** The clock reading of the last run that deleted, for the clock-sanity check. */
  lastRunAt: z.string().optional(),
  /** Entries left in place and re-checked each run: held objects and failed deletes. */
  pending: z.array(pendingSchema).default([]),
});
export type SweepState = z.infer<typeof stateSchema>;

/** Reads the sweeper's state; a bucket that has never been swept starts empty. */
export async function loadState(s3: S3Client, bucket: string): Promise<SweepState> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: STATE_KEY }));
    return stateSchema.parse(JSON.parse(await (res.Body?.transformToString() ?? Promise.resolve('{}'))));
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchKey') return { version: 1, pending: [] };
    throw error;
  }
}

export async function saveState(s3: S3Client, bucket: string, state: SweepState): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: STATE_KEY,
      Body: JSON.stringify(state),
      ContentType: 'application/json',
    }),
  );
}
