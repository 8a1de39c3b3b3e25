import * as z from 'zod';

/** One object to archive: the message the ingest function sends to the archive queue. */
export const archiveJobSchema = z.strictObject({
  bucket: z.string().min(3),
  key: z.string().min(1).max(1024),
  versionId: z.string().min(1).optional(),
  eTag: z.string().min(1).optional(),
  size: z.number().int().nonnegative().optional(),
  source: z.string().min(1),
  policy: z.string().min(1),
  eventTime: z.iso.datetime({ offset: true }),
});
export type ArchiveJob = z.infer<typeof archiveJobSchema>;
