import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent, SQSBatchResponse } from 'aws-lambda';
import { parseJsonBody, sqsBatch } from '#shared/batch.ts';
import { createDocumentClient, createS3, createSqs } from '#shared/clients/aws.ts';
import { loadConfig, sweepEnv } from '#shared/config.ts';
import { MalformedEventError } from '#shared/errors.ts';
import { logger, metrics } from '#shared/powertools.ts';
import { continuationSchema, continueLater, RESERVE_MS } from '#shared/sweep/continuation.ts';
import type { SweepReport } from '#shared/sweep/report.ts';
import { runSweep } from '#shared/sweep/run.ts';

const config = loadConfig(sweepEnv);
const s3 = createS3();
const sqs = createSqs();
const ledger = {
  ddb: createDocumentClient(),
  table: config.MEMBERS_TABLE,
  packs: { s3, bucket: config.ARCHIVE_BUCKET },
};

function record(report: SweepReport): void {
  const counts: [string, number][] = [
    ['SweepScanned', report.scanned],
    ['SweepExpired', report.expired],
    ['SweepDeleted', report.deleted],
    ['SweepSkippedHeld', report.skipped.held],
    ['SweepSkippedLocked', report.skipped.locked],
    ['SweepFailed', report.failed],
    ['SweepRefused', report.refused ? 1 : 0],
  ];
  for (const [name, n] of counts) metrics.addMetric(name, MetricUnit.Count, n);
  metrics.addMetric('SweepBytesFreed', MetricUnit.Bytes, report.bytesFreed);
}

async function runOnce(now: Date, context: Context): Promise<SweepReport> {
  const report = await runSweep({
    s3,
    bucket: config.ARCHIVE_BUCKET,
    ledger,
    now,
    shouldStop: () => context.getRemainingTimeInMillis() < RESERVE_MS,
    log: (message, detail) => logger.info(message, detail ?? {}),
  });
  record(report);
  logger.info('sweep report', {
    ...report,
    deletedKeys: report.deletedKeys.length,
    keptKeys: report.keptKeys.length,
  });
  if (!report.complete) await continueLater(sqs, config.SWEEP_QUEUE_URL, now);
  return report;
}

/** EventBridge's shape for a schedule firing; serverless.yml gives the rule no input of its own. */
function isScheduled(event: unknown): event is ScheduledEvent {
  const e = event as Partial<ScheduledEvent> | null | undefined;
  return e?.source === 'aws.events' && e['detail-type'] === 'Scheduled Event';
}

// One at a time: the checkpoint in the archive bucket has a single writer.
const continuations = sqsBatch(
  async (record, _log, _signal, context) => {
    const { now } = parseJsonBody(record.body, continuationSchema, 'a sweep continuation');
    await runOnce(new Date(now), context);
  },
  { sequential: true },
);

/**
 * Scheduled: starts a sweep at the current clock. From the sweep queue: continues a run that
 * stopped at its deadline, at that run's clock reading. Either way, a run that cannot finish in
 * time queues its own continuation before returning, so it never stops half-way unnoticed; a
 * continuation that fails is retried by SQS and dead-lettered after five attempts. Any other
 * event is refused rather than taken as a reason to delete archives.
 */
async function sweep(event: unknown, context: Context): Promise<SweepReport | SQSBatchResponse> {
  if (isScheduled(event)) return runOnce(new Date(), context);
  if ((event as { Records?: unknown } | null | undefined)?.Records !== undefined)
    return continuations(event, context);
  throw new MalformedEventError('sweep: not an EventBridge scheduled event nor a sweep-queue batch');
}

export const handler = middy(sweep)
  // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(logMetrics(metrics));
