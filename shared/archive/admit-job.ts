import type { RefusalReason } from '../errors.ts';
import { type Policy, type PolicySet, resolvePolicy } from '../policy/index.ts';
import type { ArchiveJob } from './job.ts';
import { isReservedSource, splitSourceKey } from './layout.ts';

/** Why a message may not be acted on: a fixed reason, and a sentence for the log that quotes no body. */
export interface Refusal {
  readonly reason: RefusalReason;
  readonly message: string;
}

/** The buckets of this stack, from config: never from a message. */
export interface StackBuckets {
  readonly ingestBucket: string;
  /** Known to the archive function only; a message naming it gets its own reason. */
  readonly archiveBucket?: string;
}

/**
 * Whether logvault may act on an object a message names: only in the ingest bucket, and never
 * under a reserved source name (the archive bucket's `archive/` and `expiry/`, logvault's own
 * `_logvault/`). Answers the refusal, or undefined when the object may be acted on.
 */
export function refusalFor(
  object: { bucket: string; key: string },
  buckets: StackBuckets,
): Refusal | undefined {
  if (buckets.archiveBucket !== undefined && object.bucket === buckets.archiveBucket)
    return { reason: 'archive-bucket', message: 'names the archive bucket, not the ingest bucket' };
  if (object.bucket !== buckets.ingestBucket)
    return { reason: 'foreign-bucket', message: 'names a bucket other than the ingest bucket' };
  const { source } = splitSourceKey(object.key);
  if (isReservedSource(source))
    return { reason: 'reserved-key', message: `names a key under ${source}/, which logvault reserves` };
  return undefined;
}

/** An archive job that may be carried out, with the source and policy decided from its key. */
export interface AdmittedJob extends Omit<ArchiveJob, 'source' | 'policy'> {
  readonly source: string;
  readonly policy: Policy;
}

export type Admission = { readonly admitted: AdmittedJob } | { readonly refused: Refusal };

export interface AdmissionConfig extends StackBuckets {
  readonly archiveBucket: string;
  readonly policies: PolicySet;
}

/**
 * Decides whether an archive job may run, before anything is read. The object must be one
 * {@link refusalFor} allows; its source and policy are what its key resolves to, as everywhere
 * else. A source or policy the job names is only a hint: it must agree, or the job is refused.
 */
export function admitJob(job: ArchiveJob, config: AdmissionConfig): Admission {
  const refusal = refusalFor(job, config);
  if (refusal) return { refused: { ...refusal, message: `archive job ${refusal.message}` } };
  const { source } = splitSourceKey(job.key);
  if (job.source !== undefined && job.source !== source) {
    const message = `archive job names another source than its key's (${source})`;
    return { refused: { reason: 'source-mismatch', message } };
  }
  const { policy } = resolvePolicy(config.policies, { source });
  if (job.policy !== undefined && job.policy !== policy.name) {
    const message = `archive job names another policy than its key resolves to (${policy.name})`;
    return { refused: { reason: 'policy-mismatch', message } };
  }
  const { source: _sourceHint, policy: _policyHint, ...object } = job;
  return { admitted: { ...object, source, policy } };
}
