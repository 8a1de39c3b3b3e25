import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes, LogItemExtraInput, LogItemMessage } from '@aws-lambda-powertools/logger/types';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { z } from 'zod';
import { sendToDeadLetterQueue } from './dead-letter.ts';
import { DEADLINE_MARGIN_MS, deadlineSignal } from './deadline.ts';
import { MalformedEventError, PoisonMessageError, RefusedMessageError } from './errors.ts';
import { logger, metrics } from './powertools.ts';

/** A logger whose every line names the record's messageId. */
export type RecordLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** Handles one record; `signal` aborts shortly before the invocation's deadline. */
export type RecordHandler = (
  record: SQSRecord,
  log: RecordLog,
  signal: AbortSignal,
  context: Context,
) => Promise<void>;

/**
 * Adds the messageId to each line rather than creating a child logger per record: a child costs
 * about a quarter of a millisecond, which a 10,000-record batch of garbage would pay in full.
 */
function recordLog(messageId: string): RecordLog {
  const keys = { messageId };
  // Powertools merges object arguments and logs an Error or string argument under its own key.
  const at =
    (level: keyof RecordLog) =>
    (input: LogItemMessage, ...extra: LogItemExtraInput) =>
      logger[level](input, keys, ...(extra as LogAttributes[]));
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export interface BatchOptions {
  /** Handle records one at a time, in order, instead of all at once. */
  readonly sequential?: boolean;
  /**
   * The consumer's own dead-letter queue. A record that throws a PoisonMessageError (a refused one
   * included) is sent there at once, with its reason, and reported as done: retrying it could
   * never succeed. Without it, such a record is retried until SQS's redrive moves it.
   */
  readonly deadLetter?: { readonly sqs: SQSClient; readonly queueUrl: string };
}

/** One metric per dimension value (failures by the error's class, refusals by reason), so dashboards split them. */
function countBy(metric: string, dimension: string, counts: ReadonlyMap<string, number>): void {
  for (const [value, n] of counts) {
    const single = metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(metric, MetricUnit.Count, n);
  }
}

const increment = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/**
 * Sends the poison records to the dead-letter queue and answers the failures that remain: those
 * whose copy the queue did not accept stay failed, and are retried like any other failure.
 */
async function deadLetterPoison(
  target: NonNullable<BatchOptions['deadLetter']>,
  poison: ReadonlyMap<string, { record: SQSRecord; error: PoisonMessageError }>,
  response: SQSBatchResponse,
  signal: AbortSignal,
): Promise<SQSBatchResponse> {
  const letters = [...poison.values()];
  const { sent, errors } = await sendToDeadLetterQueue(target.sqs, target.queueUrl, letters, signal);
  if (sent.size > 0)
    logger.warn('sent refused and malformed messages to the dead-letter queue', { count: sent.size });
  if (sent.size < poison.size)
    logger.error('could not dead-letter some messages; they stay on their queue for a retry', {
      count: poison.size - sent.size,
      error: errorSummary(errors[0]),
    });
  return { batchItemFailures: response.batchItemFailures.filter((f) => !sent.has(f.itemIdentifier)) };
}

/** What a log line may say about an error: its class and message, never its cause chain or other fields. */
export function errorSummary(error: unknown): { name: string; message: string } {
  return error instanceof Error
    ? { name: error.name, message: error.message }
    : { name: 'Unknown', message: typeof error };
}

/** The records of an SQS event. Anything else is refused whole: it names no message to retry. */
export function sqsRecords(event: unknown): unknown[] {
  const records = (event as { Records?: unknown } | null | undefined)?.Records;
  if (!Array.isArray(records)) throw new MalformedEventError('not an SQS event: it has no Records array');
  return records;
}

const messageIdOf = (record: unknown): string | undefined => {
  const id = (record as { messageId?: unknown } | null | undefined)?.messageId;
  return typeof id === 'string' && id !== '' ? id : undefined;
};

/**
 * Parses a JSON message body against `schema`. A body that is not JSON or not of that shape can
 * never succeed, so it is a poison message; the error names the problem and the field, never the
 * body itself (JSON.parse's own message quotes the input, which may be log content).
 */
export function parseJsonBody<S extends z.ZodType>(body: string, schema: S, what: string): z.output<S> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessageError(`${what} is not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PoisonMessageError(`not ${what}: ${issue?.path.join('.') || 'body'}: ${issue?.message}`);
  }
  return parsed.data;
}

/**
 * Runs a record handler over an SQS batch and reports partial failures: a record that throws is
 * retried (and eventually dead-lettered) on its own, and its neighbours are deleted as done, even
 * when every record fails. With `deadLetter`, a poison record goes to the dead-letter queue at
 * once instead. A record without a messageId cannot be reported, so it is logged and skipped; SQS
 * never sends one, and one that is not there cannot be lost.
 */
export function sqsBatch(handleRecord: RecordHandler, opts: BatchOptions = {}) {
  return reportingBatch(opts, async () => async (record, log, signal, context) => {
    signal.throwIfAborted();
    await handleRecord(record, log, signal, context);
  });
}

/**
 * Handles a whole batch at once; answers the error of each record that failed, by messageId
 * (a record it does not name succeeded). It sees only records with a string body. `logFor` gives
 * the log lines about one record.
 */
export type BatchHandler = (
  records: SQSRecord[],
  signal: AbortSignal,
  context: Context,
  logFor: (messageId: string) => RecordLog,
) => Promise<ReadonlyMap<string, unknown>>;

/**
 * Like {@link sqsBatch}, for work that needs the whole batch at once (packing many records into
 * one archive): the handler decides every record's outcome, and each one is then reported,
 * logged, counted and (if poison) dead-lettered exactly as sqsBatch does for a record alone.
 */
export function sqsWholeBatch(handleBatch: BatchHandler, opts: BatchOptions = {}) {
  return reportingBatch(opts, async (records, _signal, context) => {
    const bodied = records.filter((r) => typeof r.body === 'string');
    // Stops a margin earlier than a record alone would, so reporting and dead-lettering still fit.
    const early = deadlineSignal(context, 2 * DEADLINE_MARGIN_MS);
    const failures = await handleBatch(bodied, early.signal, context, recordLog).finally(() =>
      early.cancel(),
    );
    return async (record) => {
      if (failures.has(record.messageId)) throw failures.get(record.messageId);
    };
  });
}

/** The part of a batch both forms share: parsing, the deadline, reporting, metrics and dead-lettering. */
function reportingBatch(
  opts: BatchOptions,
  prepare: (records: SQSRecord[], signal: AbortSignal, context: Context) => Promise<RecordHandler>,
) {
  return async (event: unknown, context: Context): Promise<SQSBatchResponse> => {
    const records: SQSRecord[] = [];
    sqsRecords(event).forEach((record, index) => {
      if (messageIdOf(record)) records.push(record as SQSRecord);
      else logger.warn('skipped a record without a messageId; it cannot be retried alone', { index });
    });
    if (records.length === 0) {
      logger.info('no SQS records to process; nothing to do');
      return { batchItemFailures: [] };
    }
    const failures = new Map<string, number>();
    const refusals = new Map<string, number>();
    const poison = new Map<string, { record: SQSRecord; error: PoisonMessageError }>();
    const deadline = deadlineSignal(context);
    try {
      const handleRecord = await prepare(records, deadline.signal, context);
      const onRecord = async (record: SQSRecord) => {
        const log = recordLog(record.messageId);
        try {
          if (typeof record.body !== 'string') throw new PoisonMessageError('record has no string body');
          await handleRecord(record, log, deadline.signal, context);
        } catch (error) {
          const summary = errorSummary(error);
          if (error instanceof RefusedMessageError) {
            increment(refusals, error.reason);
            log.error('message refused', { reason: error.reason, error: summary });
          } else {
            increment(failures, summary.name);
            log.error('record failed', { error: summary });
          }
          // A copy needs a body; SQS never sends a record without one.
          if (error instanceof PoisonMessageError && typeof record.body === 'string' && record.body !== '')
            poison.set(record.messageId, { record, error });
          throw error;
        }
      };
      // A processor per invocation: its state is per batch, and local runs invoke concurrently.
      const response = await processPartialResponse(
        { Records: records },
        onRecord,
        new BatchProcessor(EventType.SQS),
        { context, throwOnFullBatchFailure: false, processInParallel: !opts.sequential },
      );
      return opts.deadLetter && poison.size > 0
        ? await deadLetterPoison(opts.deadLetter, poison, response, deadline.signal)
        : response;
    } finally {
      deadline.cancel();
      countBy('Failures', 'kind', failures);
      countBy('Refused', 'reason', refusals);
    }
  };
}
