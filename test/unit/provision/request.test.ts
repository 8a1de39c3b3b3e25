import { describe, expect, it } from 'vitest';
import { errorResponse } from '#shared/http/respond.ts';
import { DEFAULT_LOG_PATHS, MAX_BODY_BYTES, parseInstanceRequest } from '#shared/provision/request.ts';

const limits = {
  instanceTypes: ['t4g.micro', 't4g.small'],
  maxCount: 3,
  policyNames: ['standard', 'instances'],
  region: 'us-east-1',
};
const valid = { name: 'web-1', instanceType: 't4g.micro', backupFrequency: 'rate(15 minutes)' };
const event = (body: unknown, contentType = 'application/json') => ({
  headers: { 'Content-Type': contentType },
  body: typeof body === 'string' ? body : JSON.stringify(body),
  isBase64Encoded: false,
});

interface Answer {
  message?: string;
  errors?: { field: string; message: string }[];
}

/** Runs the parser and answers what the HTTP API would: status and JSON body. */
function answer(e: ReturnType<typeof event>) {
  try {
    parseInstanceRequest(e, limits);
    return { status: 202, body: {} as Answer };
  } catch (error) {
    const res = errorResponse(error, 'req-1');
    return { status: res.statusCode, body: JSON.parse(res.body) as Answer };
  }
}

describe('parseInstanceRequest', () => {
  it('accepts a minimal body and fills the defaults', () => {
    const req = parseInstanceRequest(event(valid), limits);
    expect(req).toMatchObject({ ...valid, count: 1, tags: [], logPaths: [...DEFAULT_LOG_PATHS] });
    expect(req.policy).toBeUndefined();
  });

  it('accepts a full body, base64-encoded as API Gateway sends it', () => {
    const body = {
      ...valid,
      imageId: 'ami-0123456789abcdef0',
      count: 3,
      subnetId: 'subnet-0123abcd',
      securityGroupIds: ['sg-0123abcd'],
      tags: { team: 'web' },
      logPaths: ['/var/log/nginx/*.log'],
      policy: 'instances',
    };
    const e = {
      ...event(body),
      body: Buffer.from(JSON.stringify(body)).toString('base64'),
      isBase64Encoded: true,
    };
    expect(parseInstanceRequest(e, limits)).toEqual({ ...body, tags: [{ key: 'team', value: 'web' }] });
  });

  it.each([
    ['unknown field', { ...valid, colour: 'red' }, 'colour'],
    ['missing name', { instanceType: 't4g.micro', backupFrequency: 'rate(1 hour)' }, 'name'],
    ['bad name', { ...valid, name: 'web 1; rm -rf /' }, 'name'],
    ['type outside the allow-list', { ...valid, instanceType: 'p5.48xlarge' }, 'instanceType'],
    ['bad AMI id', { ...valid, imageId: 'ubuntu' }, 'imageId'],
    ['count of zero', { ...valid, count: 0 }, 'count'],
    ['fractional count', { ...valid, count: 1.5 }, 'count'],
    ['bad subnet', { ...valid, subnetId: 'net-1' }, 'subnetId'],
    ['bad security group', { ...valid, securityGroupIds: ['default'] }, 'securityGroupIds.0'],
    ['reserved tag key', { ...valid, tags: { 'logvault:request-id': 'x' } }, 'tags.logvault:request-id'],
    ['relative log path', { ...valid, logPaths: ['var/log/*.log'] }, 'logPaths.0'],
    ['log path with a quote', { ...valid, logPaths: ["/var/log/'x"] }, 'logPaths.0'],
    ['bad schedule', { ...valid, backupFrequency: 'every 5 minutes' }, 'backupFrequency'],
    ['unknown policy', { ...valid, policy: 'forever-and-ever' }, 'policy'],
    ['not an object', ['web-1'], 'body'],
  ])('refuses %s with 400 naming %s', (_what, body, field) => {
    const res = answer(event(body));
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.field)).toContain(field);
    expect(res.body.message).toContain(field);
  });

  it('refuses malformed JSON with 400 naming the body', () => {
    const res = answer(event('{"name": '));
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field: 'body', message: 'not valid JSON' }]);
  });

  it('refuses a body over 16 KiB with 413', () => {
    const res = answer(event({ ...valid, tags: { big: 'x'.repeat(256) }, pad: 'y'.repeat(MAX_BODY_BYTES) }));
    expect(res.status).toBe(413);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['']])(
    'refuses content type %j with 415',
    (ct) => {
      expect(answer(event(valid, ct)).status).toBe(415);
    },
  );

  it('accepts application/json with a charset', () => {
    expect(answer(event(valid, 'application/json; charset=utf-8')).status).toBe(202);
  });

  it('refuses a count over the quota with 422 naming count', () => {
    const res = answer(event({ ...valid, count: 4 }));
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ field: 'count', message: expect.stringContaining('at most 3') }]);
  });
});

describe('errorResponse', () => {
  it('answers an unexpected error with a generic 500 that carries the request id and nothing else', () => {
    const res = errorResponse(new Error('connect ECONNREFUSED 10.0.0.7:443 table logvault-prod'), 'req-9');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(JSON.parse(res.body)).toEqual({ message: expect.any(String), requestId: 'req-9' });
  });
});
