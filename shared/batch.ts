import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { deadlineSignal } from './deadline.ts';
import { logger, metrics } from './powertools.ts';

/** Handles one record; `signal` aborts shortly before the invocation's deadline. */
export type RecordHandler = (record: SQSRecord, log: Logger, signal: AbortSignal) => Promise<void>;

/** Counts one failure by kind: the error's class name, so dashboards split poison from transient. */
export function countFailure(error: unknown): void {
  const single = metrics.singleMetric();
  single.addDimension('kind', error instanceof Error ? error.name : 'Unknown');
  single.addMetric('Failures', MetricUnit.Count, 1);
}

/**
 * Runs a record handler over an SQS batch and reports partial failures: a record that throws is
 * retried (and eventually dead-lettered) on its own, and its neighbours are deleted as done.
 */
export function sqsBatch(handleRecord: RecordHandler) {
  const processor = new BatchProcessor(EventType.SQS);
  const onRecord = async (record: SQSRecord, signal: AbortSignal) => {
    const log = logger.createChild({ persistentKeys: { messageId: record.messageId } });
    try {
      signal.throwIfAborted();
      await handleRecord(record, log, signal);
    } catch (error) {
      countFailure(error);
      log.error('record failed', {
        error: error instanceof Error ? { name: error.name, message: error.message } : error,
      });
      throw error;
    }
  };
  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    if (!Array.isArray(event?.Records) || event.Records.length === 0) return { batchItemFailures: [] };
    const deadline = deadlineSignal(context);
    try {
      return await processPartialResponse(event, (r: SQSRecord) => onRecord(r, deadline.signal), processor, {
        context,
      });
    } finally {
      deadline.cancel();
    }
  };
}
