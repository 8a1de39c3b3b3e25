import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  IdempotencyConflictError,
  NotFoundError,
  PayloadTooLargeError,
  QuotaExceededError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.ts';

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

/** The one place errors become status codes; anything not listed is a 500 without details. */
export function errorResponse(error: unknown, requestId: string): HttpResult {
  if (error instanceof QuotaExceededError || error instanceof IdempotencyConflictError)
    return json(422, { message: error.message, errors: error.issues, requestId });
  if (error instanceof ValidationError)
    return json(400, { message: error.message, errors: error.issues, requestId });
  if (error instanceof PayloadTooLargeError) return json(413, { message: error.message, requestId });
  if (error instanceof UnsupportedMediaTypeError) return json(415, { message: error.message, requestId });
  if (error instanceof NotFoundError) return json(404, { message: error.message, requestId });
  return json(500, { message: 'internal error; quote the request id when reporting it', requestId });
}

/** Middy error handler: maps the error, logs the unexpected ones in full (never to the client). */
export function httpErrors(logger: Logger): MiddlewareObj<APIGatewayProxyEventV2, HttpResult> {
  return {
    onError: async (request) => {
      const requestId =
        request.event?.requestContext?.requestId ?? request.context?.awsRequestId ?? 'unknown';
      const response = errorResponse(request.error, requestId);
      if (response.statusCode >= 500)
        logger.error('request failed', { error: request.error as Error, requestId });
      request.response = response;
    },
  };
}
