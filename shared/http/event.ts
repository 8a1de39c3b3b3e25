import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { ValidationError } from '../errors.ts';

const strings = z.record(z.string(), z.string().optional()).optional();

/** The parts of an HTTP API (payload 2.0) event the API reads; API Gateway always sends them this shape. */
const httpEventSchema = z.looseObject({
  routeKey: z.string(),
  headers: strings,
  body: z.string().optional(),
  isBase64Encoded: z.boolean().optional(),
  pathParameters: strings,
  queryStringParameters: strings,
  requestContext: z.looseObject({}).optional(),
});

/** Checks an invocation event is an HTTP API event; anything else is a 400 naming the first bad field. */
export function parseHttpEvent(event: unknown): APIGatewayProxyEventV2 {
  const parsed = httpEventSchema.safeParse(event);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ValidationError([
      {
        field: issue?.path.map(String).join('.') || 'event',
        message: `not an HTTP API event: ${issue?.message ?? 'unreadable'}`,
      },
    ]);
  }
  return parsed.data as unknown as APIGatewayProxyEventV2;
}
