import * as z from 'zod';

/**
 * One object to archive: the message the ingest function sends to the archive queue. Nothing in it
 * is trusted: the archive function checks the bucket against its config and decides the source
 * and the policy from the key (see admit-job.ts).
 */
export const archiveJobSchema = z.strictObject({
  bucket: z.string().min(3),
  key: z.string().min(1).max(1024),
  versionId: z.string().min(1).optional(),
  eTag: z.string().min(1).optional(),
  size: z.number().int().nonnegative().optional(),
  /**
   * Hints that jobs queued by earlier versions still carry: when present they must agree with
   * what the key resolves to, or the job is refused. The ingest function no longer sends them.
   */
  source: z.string().min(1).optional(),
  policy: z.string().min(1).optional(),
  eventTime: z.iso.datetime({ offset: true }),
});
export type ArchiveJob = z.infer<typeof archiveJobSchema>;
