import type { ArchiveJob } from '../archive/job.ts';
import { splitSourceKey } from '../archive/layout.ts';
import { type PolicySet, resolvePolicy } from '../policy/index.ts';
import { readNotification, type SkippedEntry, type UploadedObject } from './notification.ts';

function jobFor(object: UploadedObject, policies: PolicySet): ArchiveJob {
  const { source } = splitSourceKey(object.key);
  const { policy } = resolvePolicy(policies, { source });
  return {
    bucket: object.bucket,
    key: object.key,
    source,
    policy: policy.name,
    eventTime: object.eventTime,
    ...(object.versionId ? { versionId: object.versionId } : {}),
    ...(object.eTag ? { eTag: object.eTag } : {}),
    ...(object.size !== undefined ? { size: object.size } : {}),
  };
}

/** One notification body's archive jobs, one per uploaded object with its policy, and what it skips. */
export function planIngest(
  body: string,
  policies: PolicySet,
): { jobs: ArchiveJob[]; skipped: SkippedEntry[] } {
  const { objects, skipped } = readNotification(body);
  return { jobs: objects.map((o) => jobFor(o, policies)), skipped };
}

/** Turns one notification body into one archive job per uploaded object, each with its policy. */
export function planArchiveJobs(body: string, policies: PolicySet): ArchiveJob[] {
  return planIngest(body, policies).jobs;
}
