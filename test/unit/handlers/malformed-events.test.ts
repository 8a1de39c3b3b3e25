import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSBatchResponse } from 'aws-lambda';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fromMessageAttributes } from '#shared/dead-letter.ts';
import { MalformedEventError } from '#shared/errors.ts';
import { type CapturedOutput, captureOutput } from '../../helpers/capture-logs.ts';
import { s3Notification, sqsRecord } from '../../helpers/events.ts';
import { lambdaContext } from '../../helpers/lambda.ts';

// Every AWS call goes to this server, which counts it and fails it: none of these events may reach
// AWS, except that the ingest and archive functions send each of them, at once, to their DLQ.
let requests = 0;
let aws: Server;
let deadLetterQueue: string;
let deadLettered: { body: string; note: ReturnType<typeof fromMessageAttributes> }[] = [];

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

interface BatchEntry {
  Id: string;
  MessageBody: string;
  MessageAttributes: Parameters<typeof fromMessageAttributes>[0];
}
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
type Handler = (event: unknown, context: unknown) => Promise<unknown>;
let handlers: Record<'ingest' | 'archive' | 'provision' | 'sweep' | 'api', Handler>;
let logs: CapturedOutput;

beforeAll(async () => {
  aws = createServer(async (req, res) => {
    const body = await bodyOf(req);
    const batch = req.headers['x-amz-target'] === 'AmazonSQS.SendMessageBatch' ? JSON.parse(body) : undefined;
    if (batch?.QueueUrl === deadLetterQueue) {
      const entries = batch.Entries as BatchEntry[];
      for (const e of entries)
        deadLettered.push({ body: e.MessageBody, note: fromMessageAttributes(e.MessageAttributes) });
      const Successful = entries.map((e) => ({
        Id: e.Id,
        MessageId: `dlq-${e.Id}`,
        MD5OfMessageBody: md5(e.MessageBody),
      }));
      res
        .writeHead(200, { 'content-type': 'application/x-amz-json-1.0' })
        .end(JSON.stringify({ Successful }));
      return;
    }
    requests += 1;
    res.writeHead(400, { 'content-type': 'application/json' }).end('{"__type":"NotInThisTest"}');
  });
  await new Promise<void>((r) => aws.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(aws.address() as AddressInfo).port}`;
  deadLetterQueue = `${endpoint}/123456789012/dead-letters`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDUNITTEST',
    AWS_SECRET_ACCESS_KEY: 'unit-test-secret',
    ARCHIVE_QUEUE_URL: `${endpoint}/123456789012/archive`,
    ARCHIVE_BUCKET: 'archive-bucket',
    ARCHIVE_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/unit',
    REQUESTS_TABLE: 'requests',
    PROVISION_QUEUE_URL: `${endpoint}/123456789012/provision`,
    PROVISION_INSTANCE_TYPES: 't4g.micro',
    PROVISION_MAX_COUNT: '2',
    LOGVAULT_STAGE: 'unit',
    INGEST_BUCKET: 'ingest-bucket',
    INSTANCE_PROFILE_ARN: 'arn:aws:iam::123456789012:instance-profile/unit',
    AMI_PARAMETER: '/aws/service/ami',
    SWEEP_QUEUE_URL: `${endpoint}/123456789012/sweep`,
    DEAD_LETTER_QUEUE_URL: deadLetterQueue,
    MEMBERS_TABLE: 'members',
  });
  const load = async (name: string) =>
    ((await import(`#functions/${name}.ts`)) as { handler: Handler }).handler;
  handlers = {
    ingest: await load('ingest'),
    archive: await load('archive'),
    provision: await load('provision'),
    sweep: await load('sweep'),
    api: await load('api'),
  };
});
afterAll(() => new Promise<void>((r) => aws.close(() => r())));
beforeEach(() => {
  requests = 0;
  deadLettered = [];
  logs = captureOutput();
});
afterEach(() => logs.stop());

const invoke = (name: keyof typeof handlers, event: unknown) => handlers[name](event, lambdaContext(name));
const failedIds = (res: unknown) =>
  (res as SQSBatchResponse).batchItemFailures.map((f) => f.itemIdentifier).sort();
const logged = (message: string) => logs.records().filter((r) => r.message === message);

const sqsConsumers = ['ingest', 'archive', 'provision', 'sweep'] as const;
/** Consumers given their dead-letter queue: poison goes there at once instead of being retried. */
const deadLettering: readonly string[] = ['ingest', 'archive'];

/**
 * Poison records never succeed: a consumer with a DLQ sends each there at once, as malformed with
 * the error that names the problem, and reports it done; the others fail it for SQS to retry.
 */
function expectPoisonHandled(
  name: string,
  res: unknown,
  bad: { messageId: string; body: string }[],
  reason: RegExp,
) {
  if (!deadLettering.includes(name)) {
    expect(failedIds(res)).toEqual(bad.map((r) => r.messageId).sort());
    expect(deadLettered).toEqual([]);
    return;
  }
  expect(failedIds(res)).toEqual([]);
  expect(deadLettered.map((d) => d.note?.messageId).sort()).toEqual(bad.map((r) => r.messageId).sort());
  const byId = new Map(bad.map((r) => [r.messageId, r.body]));
  for (const d of deadLettered) {
    expect(d.body).toBe(byId.get(d.note?.messageId ?? ''));
    expect(d.note).toMatchObject({ reason: 'malformed', error: expect.stringMatching(reason) });
  }
}

/** Bodies each consumer can never process; none of them needs AWS to be refused. */
const garbage: Record<(typeof sqsConsumers)[number], [string, string, RegExp][]> = {
  ingest: [
    ['not JSON', '{"Records": [', /not JSON/],
    ['a JSON number', '42', /not an S3 notification/],
    ['JSON null', 'null', /not an S3 notification/],
    [
      'an archive job',
      JSON.stringify({ bucket: 'b-1', key: 'web/a.log', source: 'web', policy: 'standard' }),
      /not an S3 notification \(Records\)/,
    ],
    [
      'an SNS envelope around something else',
      JSON.stringify({ Type: 'Notification', Message: '{"hello":1}' }),
      /SNS message is not an S3 notification/,
    ],
    [
      'an SNS envelope whose message is not JSON',
      JSON.stringify({ Type: 'Notification', Message: 'plain text' }),
      /SNS message is not JSON/,
    ],
    [
      'an EventBridge S3 event',
      JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }),
      /not an S3 notification/,
    ],
    [
      'a key that is not percent-encoding',
      s3Notification('b-1', 'x').replace('"key":"x"', '"key":"bad%E0%A4%A"'),
      /not valid percent-encoding/,
    ],
    [
      'a key longer than S3 allows',
      s3Notification('b-1', `web/${'k'.repeat(1021)}`),
      /longer than S3 allows/,
    ],
    [
      'a record with a numeric key',
      s3Notification('b-1', 'x').replace('"key":"x"', '"key":7'),
      /not an S3 notification \(Records\.0\.s3\.object\.key\)/,
    ],
  ],
  archive: [
    ['not JSON', 'bucket=b&key=k', /archive job is not JSON/],
    ['an S3 notification sent to the wrong queue', s3Notification('b-1', 'web/a.log'), /archive job invalid/],
    ['a job without a key', JSON.stringify({ bucket: 'b-1', source: 's', policy: 'p' }), /invalid at key/],
    [
      'a job with an unknown field',
      JSON.stringify({
        bucket: 'b-1',
        key: 'k',
        source: 's',
        policy: 'p',
        eventTime: '2026-01-01T00:00:00Z',
        extra: 1,
      }),
      /archive job invalid/,
    ],
  ],
  provision: [
    ['not JSON', 'requestId=abc', /provision message is not JSON/],
    ['an empty object', '{}', /not a provision message: requestId/],
    ['a request id of the wrong shape', '{"requestId":"../../etc"}', /not a provision message: requestId/],
  ],
  sweep: [
    ['not JSON', 'continue please', /sweep continuation is not JSON/],
    ['a continuation without a clock', '{"kind":"sweep-continue"}', /not a sweep continuation: now/],
    [
      'a continuation with a bad clock',
      '{"kind":"sweep-continue","now":"yesterday"}',
      /not a sweep continuation: now/,
    ],
  ],
};

describe.each(sqsConsumers)('%s refuses events that are not SQS batches', (name) => {
  it.each([
    ['null', null],
    ['a string', 'Records'],
    ['a number', 42],
    ['an object without Records', { detail: {} }],
    ['Records that is not an array', { Records: 'x' }],
    ['Records that is null', { Records: null }],
  ])('with a clear error for %s, calling nothing', async (_what, event) => {
    const error = await invoke(name, event).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MalformedEventError);
    expect((error as Error).message).toMatch(/Records|scheduled event/);
    expect(requests).toBe(0);
  });

  it('skips an empty batch and says so', async () => {
    expect(await invoke(name, { Records: [] })).toEqual({ batchItemFailures: [] });
    expect(logged('no SQS records to process; nothing to do')).toHaveLength(1);
  });

  it('skips records that are not SQS records, logging each, and fails a record without a body alone', async () => {
    const res = await invoke(name, {
      Records: [null, 7, 'x', {}, { messageId: 5, body: '{}' }, { messageId: 'no-body' }],
    });
    expect(failedIds(res)).toEqual(['no-body']);
    const skips = logged('skipped a record without a messageId; it cannot be retried alone');
    expect(skips.map((s) => s.index)).toEqual([0, 1, 2, 3, 4]);
    const [failure] = logged('record failed');
    expect(failure).toMatchObject({
      messageId: 'no-body',
      error: { name: 'PoisonMessageError', message: 'record has no string body' },
    });
  });

  it.each(garbage[name])(
    'fails or dead-letters %s alone, naming the problem',
    async (_what, body, reason) => {
      const res = await invoke(name, { Records: [sqsRecord(body, 'bad')] });
      expectPoisonHandled(name, res, [{ messageId: 'bad', body }], reason);
      const [failure] = logged('record failed');
      expect(failure).toMatchObject({
        messageId: 'bad',
        error: { name: 'PoisonMessageError', message: expect.stringMatching(reason) },
      });
      expect(requests).toBe(0);
    },
  );

  it('handles each of 10,000 garbage records on its own, calling nothing but its DLQ', {
    timeout: 60_000,
  }, async () => {
    const bodies = garbage[name];
    const records = Array.from({ length: 10_000 }, (_, i) =>
      sqsRecord((bodies[i % bodies.length] as [string, string, RegExp])[1], `m-${i}`),
    );
    const res = await invoke(name, { Records: records });
    expectPoisonHandled(name, res, records, /./);
    expect(logged('record failed')).toHaveLength(10_000);
    expect(requests).toBe(0);
  });
});

describe('ingest skips what it deliberately does not archive, and logs why', () => {
  const testEvent = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b-1' });
  it.each([
    ['an s3:TestEvent', testEvent, 's3:TestEvent'],
    [
      'an s3:TestEvent in an SNS envelope',
      JSON.stringify({ Type: 'Notification', Message: testEvent }),
      's3:TestEvent',
    ],
    ['a delete event', s3Notification('b-1', 'web/x.log', 'ObjectRemoved:Delete'), 'not an object creation'],
    ['a folder placeholder', s3Notification('b-1', 'web/folder/'), 'folder placeholder'],
    ['a notification without records', '{"Records":[]}', 'no records'],
  ])('%s', async (_what, body, reason) => {
    const res = await invoke('ingest', { Records: [sqsRecord(body, 'skip')] });
    expect(res).toEqual({ batchItemFailures: [] });
    expect(logged('skipped notification entry')).toEqual([expect.objectContaining({ reason })]);
    expect(requests).toBe(0);
  });

  it('skips 10,000 test events without failing or calling AWS', async () => {
    const records = Array.from({ length: 10_000 }, (_, i) => sqsRecord(testEvent, `t-${i}`));
    expect(await invoke('ingest', { Records: records })).toEqual({ batchItemFailures: [] });
    expect(requests).toBe(0);
  });
});

describe('api answers malformed HTTP events with a 4xx, never a throw or a 500', () => {
  const post = (over: Record<string, unknown>) => ({
    routeKey: 'POST /instances',
    headers: { 'content-type': 'application/json' },
    requestContext: { requestId: 'r-1' },
    ...over,
  });
  it.each([
    ['null', null, 400, 'event'],
    ['a string', 'GET /instances', 400, 'event'],
    ['no routeKey', { headers: {} }, 400, 'routeKey'],
    [
      'an SQS batch of 10,000 records',
      { Records: Array.from({ length: 10_000 }, (_, i) => sqsRecord('{}', `m-${i}`)) },
      400,
      'routeKey',
    ],
    ['a numeric routeKey', { routeKey: 7 }, 400, 'routeKey'],
    ['an unknown route', { routeKey: 'DELETE /instances' }, 404, undefined],
    ['a route named after an Object method', { routeKey: 'constructor' }, 404, undefined],
    ['a body that is not a string', post({ body: { name: 'x' } }), 400, 'body'],
    [
      'headers that are not strings',
      post({ headers: { 'content-type': ['json'] } }),
      400,
      'headers.content-type',
    ],
    [
      'a query string that is not strings',
      { routeKey: 'GET /instances', queryStringParameters: { source: 1 } },
      400,
      'queryStringParameters.source',
    ],
    ['no content type', post({ headers: {}, body: '{}' }), 415, undefined],
    ['no body at all', post({}), 400, 'body'],
    ['a body that is not JSON', post({ body: 'name=web' }), 400, 'body'],
    ['no requestContext', post({ requestContext: undefined, body: '{"name":1}' }), 400, 'name'],
    ['a status request without an id', { routeKey: 'GET /instances/requests/{requestId}' }, 404, undefined],
    [
      'a status request whose id is 36 dashes',
      { routeKey: 'GET /instances/requests/{requestId}', pathParameters: { requestId: '-'.repeat(36) } },
      404,
      undefined,
    ],
    [
      'a status request whose id is a malformed percent-escape',
      { routeKey: 'GET /instances/requests/{requestId}', pathParameters: { requestId: '%E0%A4%A' } },
      404,
      undefined,
    ],
  ])('%s', async (_what, event, status, field) => {
    const res = (await invoke('api', event)) as { statusCode: number; body: string };
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body) as { errors?: { field: string }[] };
    if (field) expect(body.errors?.map((e) => e.field)).toContain(field);
    expect(requests).toBe(0);
  });
});

describe('api (property)', () => {
  // Routes that would reach AWS with a well-formed request are left out: they are not malformed.
  const routeKey = fc.oneof(
    fc.constantFrom('POST /instances', 'GET /instances/requests/{requestId}', 'PUT /instances', '$default'),
    fc.string(),
    fc.anything(),
  );
  const event = fc.record(
    {
      routeKey,
      headers: fc.oneof(
        fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.anything())),
        fc.constant({ 'content-type': 'application/json' }),
        fc.anything(),
      ),
      body: fc.oneof(fc.string(), fc.json(), fc.anything()),
      isBase64Encoded: fc.oneof(fc.boolean(), fc.anything()),
      pathParameters: fc.oneof(fc.record({ requestId: fc.string() }), fc.anything()),
      requestContext: fc.anything(),
    },
    { requiredKeys: [] },
  );

  it('answers any event with a 4xx and a JSON body, never a throw, a 500 or a call to AWS', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(event, fc.anything()), async (e) => {
        const res = (await invoke('api', e)) as { statusCode: number; body: string };
        expect([400, 404, 413, 415, 422]).toContain(res.statusCode);
        expect(JSON.parse(res.body)).toHaveProperty('message');
        expect(requests).toBe(0);
      }),
    );
  });
});
