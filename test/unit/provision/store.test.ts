import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { IdempotencyConflictError } from '#shared/errors.ts';
import { parseInstanceRequest } from '#shared/provision/request.ts';
import { getRequest, recordRequest, requestIdFor } from '#shared/provision/store.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const store = { ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), table: 't' };
const limits = {
  instanceTypes: ['t4g.micro'],
  maxCount: 5,
  policyNames: ['standard', 'instances'],
  region: 'us-east-1',
};
const sample = JSON.parse(readFileSync('events/http-post-instances.json', 'utf8')) as APIGatewayProxyEventV2;
const request = parseInstanceRequest(sample, limits);
const conflict = () => new ConditionalCheckFailedException({ message: 'exists', $metadata: {} });
const withTags = (tags: Record<string, string>) =>
  parseInstanceRequest(
    {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'web-1',
        instanceType: 't4g.micro',
        backupFrequency: 'rate(1 hour)',
        tags,
      }),
    },
    limits,
  );

beforeEach(() => ddb.reset());

describe('requestIdFor', () => {
  it('derives the same id from the same caller and key, and different ids otherwise', () => {
    const a = requestIdFor('k1', 'arn:aws:iam::1:user/a');
    expect(requestIdFor('k1', 'arn:aws:iam::1:user/a')).toBe(a);
    expect(requestIdFor('k2', 'arn:aws:iam::1:user/a')).not.toBe(a);
    expect(requestIdFor('k1', 'arn:aws:iam::1:user/b')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('gives a fresh id when there is no key', () => {
    expect(requestIdFor(undefined, 'x')).not.toBe(requestIdFor(undefined, 'x'));
  });
});

describe('recordRequest', () => {
  it('records a new request as queued, only if the id is new', async () => {
    ddb.on(PutCommand).resolves({});
    const { created, record } = await recordRequest(store, 'id-1', request);
    expect(created).toBe(true);
    expect(record.status).toBe('queued');
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe(
      'attribute_not_exists(requestId)',
    );
  });

  it('refuses a key reused for a different body', async () => {
    ddb.on(PutCommand).rejects(conflict());
    ddb
      .on(GetCommand)
      .resolves({ Item: { requestId: 'id-1', status: 'running', bodyHash: 'another', request } });
    await expect(recordRequest(store, 'id-1', request)).rejects.toBeInstanceOf(IdempotencyConflictError);
  });

  it('returns the existing record when the body matches', async () => {
    ddb.on(PutCommand).resolvesOnce({});
    const { record } = await recordRequest(store, 'id-2', request);
    ddb.on(PutCommand).rejects(conflict());
    ddb.on(GetCommand).resolves({ Item: { ...record, status: 'running', instanceIds: ['i-1'] } });
    const again = await recordRequest(store, 'id-2', request);
    expect(again.created).toBe(false);
    expect(again.record).toMatchObject({ status: 'running', instanceIds: ['i-1'] });
  });
});

describe('recordRequest with tags', () => {
  it('answers a retry whose tags are in another order with the same request, not a conflict', async () => {
    ddb.on(PutCommand).resolvesOnce({});
    const { record } = await recordRequest(
      store,
      'id-3',
      withTags({ team: 'web', env: 'prod', owner: 'ops' }),
    );
    ddb.on(PutCommand).rejects(conflict());
    ddb.on(GetCommand).resolves({ Item: record });

    const again = await recordRequest(store, 'id-3', withTags({ owner: 'ops', env: 'prod', team: 'web' }));

    expect(again.created).toBe(false);
    expect(again.record.request.tags.map((t) => t.key)).toEqual(['env', 'owner', 'team']);
  });

  it('stores tags as a sorted list of pairs, so no tag name becomes a property of the item', async () => {
    ddb.on(PutCommand).resolves({});
    await recordRequest(store, 'id-4', withTags({ toString: 'b', constructor: 'a', hasOwnProperty: 'c' }));

    const item = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item as { request: { tags: unknown } };
    expect(item.request.tags).toEqual([
      { key: 'constructor', value: 'a' },
      { key: 'hasOwnProperty', value: 'c' },
      { key: 'toString', value: 'b' },
    ]);
  });

  it('reads a record of the first format (tags as a map, body hashed as received) as the current one', async () => {
    const current = withTags({ team: 'web', env: 'prod' });
    // What the first format stored: the parsed body with its tags as a map, in the order received.
    const firstFormat = { ...current, tags: { team: 'web', env: 'prod' } };
    const oldHash = createHash('sha256').update(JSON.stringify(firstFormat)).digest('hex');
    ddb.on(GetCommand).resolves({
      Item: {
        requestId: 'id-5',
        status: 'running',
        request: firstFormat,
        bodyHash: oldHash,
        instanceIds: ['i-1'],
      },
    });

    const read = await getRequest(store, 'id-5');
    expect(read?.request.tags).toEqual([
      { key: 'env', value: 'prod' },
      { key: 'team', value: 'web' },
    ]);

    ddb.on(PutCommand).rejects(conflict());
    const retry = await recordRequest(store, 'id-5', withTags({ env: 'prod', team: 'web' }));
    expect(retry).toMatchObject({ created: false, record: { status: 'running', instanceIds: ['i-1'] } });
    await expect(recordRequest(store, 'id-5', withTags({ env: 'dev', team: 'web' }))).rejects.toBeInstanceOf(
      IdempotencyConflictError,
    );
  });
});

describe('sample event', () => {
  it('events/http-post-instances.json is a valid POST /instances request', () => {
    expect(sample.routeKey).toBe('POST /instances');
    expect(request).toMatchObject({ name: 'web-1', instanceType: 't4g.micro', policy: 'instances' });
  });

  it('events/sqs-provision-request.json carries the id POSTing events/http-post-instances.json records', () => {
    const sqs = JSON.parse(readFileSync('events/sqs-provision-request.json', 'utf8')) as {
      Records: { body: string }[];
    };
    const ctx = sample.requestContext as { authorizer?: { iam?: { userArn?: string } } };
    const requestId = requestIdFor(sample.headers['idempotency-key'], String(ctx.authorizer?.iam?.userArn));
    expect(JSON.parse(sqs.Records[0]?.body ?? '')).toEqual({ requestId });
  });
});
