import { randomUUID } from 'node:crypto';
import type { Operation } from './fault-operation.ts';

export type ErrorFault = 'internal-error' | 'slow-down';

export interface ErrorResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const JSON_SERVICES = new Set(['sqs', 'kms', 'dynamodb']);

/**
 * The error each service's protocol would answer with, so the SDK parses and classifies it as it
 * would a real one: REST-XML for S3, JSON for SQS, KMS and DynamoDB, EC2's and IAM's query XML.
 */
export function errorResponse(op: Operation, fault: ErrorFault): ErrorResponse {
  const status = fault === 'internal-error' ? 500 : 503;
  const requestId = randomUUID();
  const message = `fault injected into ${op.service}:${op.name}`;
  if (op.service === 's3') {
    const code = fault === 'internal-error' ? 'InternalError' : 'SlowDown';
    return {
      status,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  if (JSON_SERVICES.has(op.service)) {
    const code = fault === 'internal-error' ? 'InternalFailure' : 'ServiceUnavailable';
    return {
      status,
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amzn-requestid': requestId,
        'x-amzn-errortype': code,
        // SQS's JSON protocol also names the query-protocol error it stands for.
        ...(op.service === 'sqs' ? { 'x-amzn-query-error': `${code};Receiver` } : {}),
      },
      body: JSON.stringify({ __type: code, message }),
    };
  }
  if (op.service === 'ec2') {
    const code = fault === 'internal-error' ? 'InternalError' : 'Unavailable';
    return {
      status,
      headers: { 'content-type': 'text/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`,
    };
  }
  const code = fault === 'internal-error' ? 'ServiceFailure' : 'ServiceUnavailable';
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse><Error><Type>Receiver</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}
