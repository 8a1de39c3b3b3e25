import { refusalFor } from '../archive/admit-job.ts';
import type { ArchiveJob } from '../archive/job.ts';
import { RefusedMessageError } from '../errors.ts';
import { readNotification, type SkippedEntry, type UploadedObject } from './notification.ts';

/**
 * The job names the object and nothing else: its source and policy are decided from the key when
 * it is archived, so a policies.json deployed in between cannot make the two disagree.
 */
function jobFor(object: UploadedObject): ArchiveJob {
  return {
    bucket: object.bucket,
    key: object.key,
    eventTime: object.eventTime,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(object.eTag ? { eTag: object.eTag } : {}),
    ...(object.size !== undefined ? { size: object.size } : {}),
  };
}

/**
 * One notification body's archive jobs, one per uploaded object, and what it skips. A body naming
 * any object logvault may not act on (another bucket than `ingestBucket`, a reserved key) is
 * refused whole: S3 sends one record per notification, so such a body did not come from it.
 */
export function planIngest(
  body: string,
  ingestBucket: string,
): { jobs: ArchiveJob[]; skipped: SkippedEntry[] } {
  const { objects, skipped } = readNotification(body);
  for (const object of objects) {
    const refusal = refusalFor(object, { ingestBucket });
    if (refusal) throw new RefusedMessageError(refusal.reason, `notification ${refusal.message}`);
  }
  return { jobs: objects.map(jobFor), skipped };
}
