import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { sqsBatch } from '#shared/batch.ts';
import { createSqs } from '#shared/clients/aws.ts';
import { ingestEnv, loadConfig } from '#shared/config.ts';
import { planIngest } from '#shared/ingest/plan-jobs.ts';
import { logger, metrics } from '#shared/powertools.ts';

const config = loadConfig(ingestEnv);
const sqs = createSqs();

/** S3 notifications (through the ingest queue) → one archive job per created object. */
export const handler = middy(
  sqsBatch(
    async (record, log) => {
      const { jobs, skipped } = planIngest(record.body, config.INGEST_BUCKET);
      for (const entry of skipped) log.info('skipped notification entry', { ...entry });
      for (const job of jobs) {
        await sqs.send(
          new SendMessageCommand({ QueueUrl: config.ARCHIVE_QUEUE_URL, MessageBody: JSON.stringify(job) }),
        );
        log.info('queued archive job', { objectKey: job.key });
      }
    },
    { deadLetter: { sqs, queueUrl: config.DEAD_LETTER_QUEUE_URL } },
  ),
)
  // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: notifications carry object keys and principals.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(logMetrics(metrics));
