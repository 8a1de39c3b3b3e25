import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { parseJsonBody, sqsBatch } from '#shared/batch.ts';
import { createDocumentClient, createEc2, createSsm } from '#shared/clients/aws.ts';
import { loadConfig, provisionWorkerEnv } from '#shared/config.ts';
import { logger, metrics } from '#shared/powertools.ts';
import { provisionRequest } from '#shared/provision/launch.ts';
import { REQUEST_ID_PATTERN } from '#shared/provision/store.ts';
import { renderUserData } from '#shared/provision/user-data.ts';

const config = loadConfig(provisionWorkerEnv);
const deps = {
  ec2: createEc2(),
  ssm: createSsm(),
  store: { ddb: createDocumentClient(), table: config.REQUESTS_TABLE },
  config: {
    ingestBucket: config.INGEST_BUCKET,
    instanceProfileArn: config.INSTANCE_PROFILE_ARN,
    amiParameter: config.AMI_PARAMETER,
    stage: config.LOGVAULT_STAGE,
    region: config.AWS_REGION,
  },
  renderUserData,
};
// Request ids are UUID-shaped but derived ones carry no version bits, so z.uuid() would refuse them.
const message = z.object({ requestId: z.string().regex(REQUEST_ID_PATTERN) });

/** Provision-queue messages → EC2 instances that ship their logs to the ingest bucket. */
export const handler = middy(
  sqsBatch(async (record, log, _signal, context) => {
    const { requestId } = parseJsonBody(record.body, message, 'a provision message');
    // The claim lasts as long as this invocation can: once it has ended, a retry may take over.
    // It names the record, not just the invocation: two deliveries of one request in the same
    // batch run concurrently, and sharing an owner would let both launch.
    const claim = {
      owner: `${context.awsRequestId}:${record.messageId}`,
      until: new Date(Date.now() + context.getRemainingTimeInMillis()),
    };
    const status = await provisionRequest(requestId, { ...deps, logger: log }, claim);
    log.info('request settled', { requestId, status });
  }),
)
  // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(logMetrics(metrics));
