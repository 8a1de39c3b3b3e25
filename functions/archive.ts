import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { archiveBatch } from '#shared/archive/archive-batch.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { sqsWholeBatch } from '#shared/batch.ts';
import { createDocumentClient, createKms, createS3, createSqs } from '#shared/clients/aws.ts';
import { archiveEnv, loadConfig } from '#shared/config.ts';
import { policies } from '#shared/policies.ts';
import { logger, metrics } from '#shared/powertools.ts';

const config = loadConfig(archiveEnv);
const s3 = createS3();
const sqs = createSqs();
const keyring = archiveKeyring(config.ARCHIVE_KEY_ARN, createKms());
const ledger = { ddb: createDocumentClient(), table: config.MEMBERS_TABLE };
const archiveConfig = {
  ingestBucket: config.INGEST_BUCKET,
  archiveBucket: config.ARCHIVE_BUCKET,
  archiveKeyArn: config.ARCHIVE_KEY_ARN,
};

/** Archive jobs → verified archives: small sources packed together, large ones archived alone. */
export const handler = middy(
  sqsWholeBatch(
    async (records, signal, _context, logFor) =>
      archiveBatch(
        records.map((r) => ({ ref: r.messageId, body: r.body })),
        {
          s3,
          keyring,
          ledger,
          config: archiveConfig,
          policies,
          logger,
          signal,
          metrics,
          packThresholdBytes: config.PACK_THRESHOLD_BYTES,
        },
        logFor,
      ),
    { deadLetter: { sqs, queueUrl: config.DEAD_LETTER_QUEUE_URL } },
  ),
)
  // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(logMetrics(metrics));
