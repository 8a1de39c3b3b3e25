import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, ScheduledEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { countFailure } from '#shared/batch.ts';
import { createS3, createSqs } from '#shared/clients/aws.ts';
import { loadConfig, sweepEnv } from '#shared/config.ts';
import { logger, metrics } from '#shared/powertools.ts';
import { continuationSchema, continueLater, RESERVE_MS } from '#shared/sweep/continuation.ts';
import type { SweepReport } from '#shared/sweep/report.ts';
import { runSweep } from '#shared/sweep/run.ts';

const config = loadConfig(sweepEnv);
const s3 = createS3();
const sqs = createSqs();

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

/**
 * Scheduled: starts a sweep at the current clock. From the sweep queue: continues a run that
 * stopped at its deadline, at that run's clock reading. Either way, a run that cannot finish in
 * time queues its own continuation before returning, so it never stops half-way unnoticed; a
 * continuation that fails is retried by SQS and dead-lettered after five attempts.
 */
async function sweep(
  event: ScheduledEvent | SQSEvent,
  context: Context,
): Promise<SweepReport | SQSBatchResponse> {
  if (!('Records' in event && Array.isArray(event.Records))) return runOnce(new Date(), context);
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const r of event.Records) {
    try {
      await runOnce(new Date(continuationSchema.parse(JSON.parse(r.body)).now), context);
    } catch (error) {
      countFailure(error);
      logger.error('sweep continuation failed', { messageId: r.messageId, error: String(error) });
      batchItemFailures.push({ itemIdentifier: r.messageId });
    }
  }
  return { batchItemFailures };
}

export const handler = middy(sweep).use(injectLambdaContext(logger)).use(logMetrics(metrics));
