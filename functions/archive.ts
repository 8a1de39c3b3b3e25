import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { archiveRecord } from '#shared/archive/archive-record.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { sqsBatch } from '#shared/batch.ts';
import { createKms, createS3, createSqs } from '#shared/clients/aws.ts';
import { archiveEnv, loadConfig } from '#shared/config.ts';
import { policies } from '#shared/policies.ts';
import { logger, metrics } from '#shared/powertools.ts';

const config = loadConfig(archiveEnv);
const s3 = createS3();
const sqs = createSqs();
const keyring = archiveKeyring(config.ARCHIVE_KEY_ARN, createKms());
const archiveConfig = {
  ingestBucket: config.INGEST_BUCKET,
  archiveBucket: config.ARCHIVE_BUCKET,
  archiveKeyArn: config.ARCHIVE_KEY_ARN,
};

/** Archive jobs → compressed, encrypted, verified archive objects. */
export const handler = middy(
  sqsBatch(
    async (record, log, signal) => {
      await archiveRecord(
        record.body,
        { s3, keyring, config: archiveConfig, policies, logger: log, signal },
        metrics,
      );
    },
    { deadLetter: { sqs, queueUrl: config.DEAD_LETTER_QUEUE_URL } },
  ),
)
  // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(logMetrics(metrics));
