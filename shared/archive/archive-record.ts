import type { Metrics } from '@aws-lambda-powertools/metrics';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { PoisonMessageError } from '../errors.ts';
import { type ArchiveDeps, type ArchiveOutcome, archiveObject } from './archive-object.ts';
import { type ArchiveJob, archiveJobSchema } from './job.ts';

/** Parses an archive-queue message body; a body that is not a job is a poison message. */
export function parseArchiveJob(body: string): ArchiveJob {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('archive job is not JSON');
  }
  const parsed = archiveJobSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PoisonMessageError(
      `archive job invalid at ${issue?.path.join('.') || 'body'}: ${issue?.message}`,
    );
  }
  return parsed.data;
}

/** Records one archived job's metrics: bytes, ratio and latency when it was archived, and its outcome. */
export function recordArchiveMetrics(
  metrics: Pick<Metrics, 'addMetric'>,
  eventTime: string,
  outcome: ArchiveOutcome,
): void {
  if (outcome.status === 'archived') {
    metrics.addMetric('BytesIn', MetricUnit.Bytes, outcome.bytesIn);
    metrics.addMetric('BytesOut', MetricUnit.Bytes, outcome.bytesOut);
    if (outcome.bytesOut > 0)
      metrics.addMetric('CompressionRatio', MetricUnit.NoUnit, outcome.bytesIn / outcome.bytesOut);
    metrics.addMetric('ArchiveLatencyMs', MetricUnit.Milliseconds, Date.now() - Date.parse(eventTime));
  }
  const counter = { archived: 'Archived', duplicate: 'Duplicates', vanished: 'SourcesVanished' } as const;
  metrics.addMetric(counter[outcome.status], MetricUnit.Count, 1);
}

/** Archives the job in one message body and records its metrics. */
export async function archiveRecord(
  body: string,
  deps: ArchiveDeps,
  metrics: Metrics,
): Promise<ArchiveOutcome> {
  const job = parseArchiveJob(body);
  const outcome = await archiveObject(job, deps);
  recordArchiveMetrics(metrics, job.eventTime, outcome);
  return outcome;
}
