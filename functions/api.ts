import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createDocumentClient, createEc2, createSqs } from '#shared/clients/aws.ts';
import { loadConfig, provisionApiEnv } from '#shared/config.ts';
import { NotFoundError } from '#shared/errors.ts';
import { parseHttpEvent } from '#shared/http/event.ts';
import { type HttpResult, httpErrors, json } from '#shared/http/respond.ts';
import { policies } from '#shared/policies.ts';
import { logger } from '#shared/powertools.ts';
import { requestStatus, submitInstanceRequest } from '#shared/provision/api.ts';
import { listLaunched } from '#shared/provision/launch.ts';

const config = loadConfig(provisionApiEnv);
const store = { ddb: createDocumentClient(), table: config.REQUESTS_TABLE };
const sqs = createSqs();
const ec2 = createEc2();
const submitDeps = {
  store,
  sqs,
  queueUrl: config.PROVISION_QUEUE_URL,
  limits: {
    instanceTypes: config.PROVISION_INSTANCE_TYPES,
    maxCount: config.PROVISION_MAX_COUNT,
    policyNames: policies.policies.map((p) => p.name),
    region: config.AWS_REGION,
  },
};

const routes: Record<string, (event: APIGatewayProxyEventV2) => Promise<HttpResult>> = {
  'POST /instances': (event) => submitInstanceRequest(event, submitDeps),
  'GET /instances/requests/{requestId}': (event) => requestStatus(event, store),
  'GET /instances': async (event) =>
    json(200, {
      instances: await listLaunched(ec2, config.LOGVAULT_STAGE, event.queryStringParameters?.source),
    }),
};

/** The provisioning HTTP API: requests are validated and queued here, and carried out by `provision`. */
export const handler = middy(async (input: unknown): Promise<HttpResult> => {
  const event = parseHttpEvent(input);
  const route = Object.hasOwn(routes, event.routeKey) ? routes[event.routeKey] : undefined;
  if (!route) throw new NotFoundError(`no route ${event.routeKey}`);
  return route(event);
})
  // Never the event, whatever POWERTOOLS_LOGGER_LOG_EVENT says: it carries headers and signatures.
  .use(injectLambdaContext(logger, { logEvent: false }))
  .use(httpErrors(logger));
