import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RecordLog } from '../batch.ts';
import { RefusedMessageError } from '../errors.ts';
import { mapLimit } from '../map-limit.ts';
import { type AdmittedJob, admitJob } from './admit-job.ts';
import { type ArchiveDeps, type ArchiveOutcome, archiveObject, deleteSource } from './archive-object.ts';
import { parseArchiveJob, recordArchiveMetrics } from './archive-record.ts';
import type { ArchiveJob } from './job.ts';
import type { LedgerDeps } from './member-ledger.ts';
import { archiveLoad, type PackRecord } from './pack-archive.ts';
import { MAX_PACK_PLAINTEXT_BYTES } from './pack-limits.ts';
import { planLoads, recordVerdict, routeFor } from './pack-plan.ts';
import { isBatchObject } from './pack-sources.ts';
import { headSource } from './source-object.ts';
import { archiveWholeBatch } from './whole-batch.ts';

export interface BatchArchiveDeps extends ArchiveDeps {
  readonly ledger: LedgerDeps;
  /** Sources up to this size are packed; larger ones keep an archive of their own. */
  readonly packThresholdBytes: number;
  readonly maxPackBytes?: number;
  readonly metrics?: Pick<Metrics, 'addMetric'>;
}

/** One archive job off the queue: its message id and body, neither trusted. */
export interface QueuedJob {
  readonly ref: string;
  readonly body: string;
}

interface Admitted {
  readonly ref: string;
  readonly job: ArchiveJob;
  readonly admitted: AdmittedJob;
}

const HEAD_CONCURRENCY = 16;
/** Large sources archived at once: each streams through its own compressor and upload. */
const SINGLE_CONCURRENCY = 4;

/**
 * Archives a batch of archive jobs. Every job is admitted as before (ingest bucket only, no
 * reserved key, source and policy from its key) and its source looked up; a source above the
 * pack threshold is archived alone (v1; a shipper batch that large is archived whole and its
 * members recorded in the ledger), and the rest are packed: one pack per policy and expiry day
 * (and per MAX_PACK_PLAINTEXT_BYTES of sources). Answers the error of every job that failed, by
 * ref: a poison or refused job fails alone, and a failed pack fails exactly the jobs whose
 * members it held. Sources are deleted only once everything they hold is stored.
 */
export async function archiveBatch(
  jobs: readonly QueuedJob[],
  deps: BatchArchiveDeps,
  logFor: (ref: string) => RecordLog,
): Promise<Map<string, unknown>> {
  const now = deps.now ?? (() => new Date());
  const archivedAt = now();
  const failures = new Map<string, unknown>();
  const count = (name: string, n = 1) => deps.metrics?.addMetric(name, MetricUnit.Count, n);
  const admitted = (
    await mapLimit(jobs, HEAD_CONCURRENCY, async ({ ref, body }): Promise<Admitted | undefined> => {
      try {
        const job = parseArchiveJob(body);
        const admission = admitJob(job, { ...deps.config, policies: deps.policies });
        if ('refused' in admission)
          throw new RefusedMessageError(admission.refused.reason, admission.refused.message);
        return { ref, job, admitted: admission.admitted };
      } catch (error) {
        failures.set(ref, error);
        return undefined;
      }
    })
  ).filter((a) => a !== undefined);

  const packable: PackRecord[] = [];
  const singles: Admitted[] = [];
  await mapLimit(admitted, HEAD_CONCURRENCY, async (a) => {
    try {
      const src = await headSource(deps.s3, a.admitted);
      if (!src) {
        logFor(a.ref).warn('source object vanished before it was archived; dropping the job', {
          objectKey: a.job.key,
        });
        count('SourcesVanished');
        return;
      }
      if (routeFor(src.size, deps.packThresholdBytes) === 'single') singles.push(a);
      else
        packable.push({
          ref: a.ref,
          policy: a.admitted.policy,
          size: src.size,
          src,
          source: a.admitted.source,
          eventTime: a.job.eventTime,
        });
    } catch (error) {
      failures.set(a.ref, error);
    }
  });

  const single = async (a: Admitted) => {
    try {
      deps.signal?.throwIfAborted();
      const src = isBatchObject(a.job.key) ? await headSource(deps.s3, a.admitted) : undefined;
      const outcome: ArchiveOutcome = src
        ? await archiveWholeBatch(a.job, a.admitted, src, deps)
        : await archiveObject(a.job, deps);
      if (deps.metrics) recordArchiveMetrics(deps.metrics, a.job.eventTime, outcome);
    } catch (error) {
      failures.set(a.ref, error);
    }
  };

  const packs = async () => {
    for (const load of planLoads(packable, archivedAt, deps.maxPackBytes ?? MAX_PACK_PLAINTEXT_BYTES)) {
      if (deps.signal?.aborted) {
        for (const r of load.records) failures.set(r.ref, deps.signal.reason);
        continue;
      }
      const result = await archiveLoad({ ...deps, now }, load, archivedAt);
      if (result.written) {
        count('PacksWritten');
        count('PackedMembers', result.written.members);
        deps.metrics?.addMetric('BytesIn', MetricUnit.Bytes, result.written.bytesIn);
        deps.metrics?.addMetric('BytesOut', MetricUnit.Bytes, result.written.bytesOut);
        logFor(load.records[0]?.ref ?? '').info('pack archived', {
          archiveKey: result.written.key,
          members: result.written.members,
          policy: load.policy.name,
        });
      }
      await mapLimit(load.records, HEAD_CONCURRENCY, async (r) => {
        const unread = result.unread.get(r.ref);
        const verdict = result.unread.has(r.ref)
          ? { ok: false as const, error: unread }
          : recordVerdict(result.membersOf.get(r.ref) ?? [], result.fates);
        if (!verdict.ok) return failures.set(r.ref, verdict.error);
        try {
          if (r.policy.deleteSourceAfterArchive) await deleteSource(deps.s3, r.src);
          // One line per object, as a single archive logs it, so an operator can trace any upload.
          const members = result.membersOf.get(r.ref) ?? [];
          const stored = members.filter((id) => result.fates.get(id)?.fate === 'stored').length;
          logFor(r.ref).info('archived', {
            objectKey: r.src.key,
            ...(stored && result.written ? { archiveKey: result.written.key } : {}),
            members: members.length,
            duplicates: members.length - stored,
            policy: r.policy.name,
          });
          count('Archived');
          deps.metrics?.addMetric(
            'ArchiveLatencyMs',
            MetricUnit.Milliseconds,
            Date.now() - Date.parse(r.eventTime),
          );
        } catch (error) {
          failures.set(r.ref, error);
        }
      });
      count('Duplicates', [...result.fates.values()].filter((f) => f.fate === 'duplicate').length);
    }
  };

  await Promise.all([mapLimit(singles, SINGLE_CONCURRENCY, single), packs()]);
  return failures;
}
