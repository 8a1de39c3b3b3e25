import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { NotFoundError, ValidationError } from '../errors.ts';
import { type HttpResult, json } from '../http/respond.ts';
import { parseInstanceRequest, type RequestLimits } from './request.ts';
import {
  deleteRequest,
  getRequest,
  REQUEST_ID_PATTERN,
  recordRequest,
  requestIdFor,
  type StoreDeps,
} from './store.ts';

export interface SubmitDeps {
  readonly store: StoreDeps;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly limits: RequestLimits;
}

/** The message the provision queue carries: the request itself lives in the table. */
export interface ProvisionMessage {
  readonly requestId: string;
}

const statusPath = (requestId: string) => `/instances/requests/${requestId}`;

function header(event: APIGatewayProxyEventV2, name: string): string | undefined {
  return Object.entries(event.headers ?? {}).find(([k]) => k.toLowerCase() === name)?.[1];
}

/** The IAM principal API Gateway verified; idempotency keys are scoped to it. */
function caller(event: APIGatewayProxyEventV2): string {
  const ctx = event.requestContext as { authorizer?: { iam?: { userArn?: unknown } } } | undefined;
  const arn = ctx?.authorizer?.iam?.userArn;
  return typeof arn === 'string' ? arn : 'anonymous';
}

/** POST /instances: validate, record as queued, enqueue; a retried Idempotency-Key answers the same. */
export async function submitInstanceRequest(
  event: APIGatewayProxyEventV2,
  deps: SubmitDeps,
): Promise<HttpResult> {
  const request = parseInstanceRequest(event, deps.limits);
  const key = header(event, 'idempotency-key');
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key))
    throw new ValidationError([
      { field: 'Idempotency-Key', message: '1-255 printable characters, no spaces' },
    ]);
  const requestId = requestIdFor(key, caller(event));
  const { created, record } = await recordRequest(deps.store, requestId, request);
  if (created) {
    const message: ProvisionMessage = { requestId };
    try {
      await deps.sqs.send(
        new SendMessageCommand({ QueueUrl: deps.queueUrl, MessageBody: JSON.stringify(message) }),
      );
    } catch (error) {
      // Without its message the record would sit queued forever; remove it so a retry starts over.
      await deleteRequest(deps.store, requestId);
      throw error;
    }
  }
  return json(202, { requestId, status: record.status, statusUrl: statusPath(requestId) });
}

/** GET /instances/requests/{requestId}; 404 for an unknown id, and for anything that is not one. */
export async function requestStatus(event: APIGatewayProxyEventV2, store: StoreDeps): Promise<HttpResult> {
  const requestId = event.pathParameters?.requestId ?? '';
  // The path holds whatever the caller sent: only a well-formed id reaches DynamoDB or the answer.
  if (!REQUEST_ID_PATTERN.test(requestId))
    throw new NotFoundError('no such request: request ids are 8-4-4-4-12 lowercase hex digits');
  const record = await getRequest(store, requestId);
  if (!record) throw new NotFoundError(`no request ${requestId}`);
  return json(200, {
    requestId,
    status: record.status,
    name: record.request.name,
    count: record.request.count,
    instanceIds: record.instanceIds ?? [],
    ...(record.reason ? { reason: record.reason } : {}),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  });
}
