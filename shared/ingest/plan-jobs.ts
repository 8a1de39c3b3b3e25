import type { ArchiveJob } from '../archive/job.ts';
import { splitSourceKey } from '../archive/layout.ts';
import { type PolicySet, resolvePolicy } from '../policy/index.ts';
import { uploadedObjects } from './notification.ts';

/** Turns one notification body into one archive job per uploaded object, each with its policy. */
export function planArchiveJobs(body: string, policies: PolicySet): ArchiveJob[] {
  return uploadedObjects(body).map((object) => {
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
  });
}
