import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorResponse } from '#shared/http/respond.ts';
import { DEFAULT_LOG_PATHS, MAX_BODY_BYTES, parseInstanceRequest } from '#shared/provision/request.ts';

const limits = {
  instanceTypes: ['t4g.nano', 't4g.micro', 'm7g.large'],
  maxCount: 5,
  policyNames: ['standard', 'instances', 'audit'],
};

interface Answer {
  status: number;
  fields: string[];
  message: string;
  value?: unknown;
}

/** What the API answers for a body: the parsed request (202) or the mapped error's status and fields. */
function answer(body: string, opts: { contentType?: string; base64?: boolean } = {}): Answer {
  const event = {
    headers: { 'Content-Type': opts.contentType ?? 'application/json' },
    body: opts.base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: Boolean(opts.base64),
  };
  try {
    return { status: 202, fields: [], message: '', value: parseInstanceRequest(event, limits) };
  } catch (error) {
    const res = errorResponse(error, 'req-1');
    const parsed = JSON.parse(res.body) as { message: string; errors?: { field: string }[] };
    return {
      status: res.statusCode,
      fields: parsed.errors?.map((e) => e.field) ?? [],
      message: parsed.message,
    };
  }
}

const hex = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });
const tagKey = fc
  .string({ unit: 'grapheme', minLength: 1, maxLength: 40 })
  .filter((k) => k.length <= 128 && k !== 'Name' && !/^(aws|logvault):/i.test(k) && k !== '__proto__');
const KNOWN_FIELDS = [
  'name',
  'instanceType',
  'imageId',
  'count',
  'subnetId',
  'securityGroupIds',
  'tags',
  'logPaths',
  'backupFrequency',
  'policy',
];
const logPath = fc
  .string({ unit: 'grapheme', maxLength: 60 })
  .map((p) => `/${p}`)
  .filter((p) => p.length <= 512 && !/[\n\r"'`$\\]/.test(p));
const schedule = fc.oneof(
  fc.constantFrom(
    'rate(1 minute)',
    'rate(1 hour)',
    'rate(1 day)',
    'cron(0 3 * * ? *)',
    'cron(*/15 * * * ? *)',
  ),
  fc
    .tuple(fc.integer({ min: 2, max: 1_000_000 }), fc.constantFrom('minutes', 'hours', 'days'))
    .map(([n, unit]) => `rate(${n} ${unit})`),
);

/** Any body the API must accept, as the operator would write it. */
const validBody = fc.record(
  {
    name: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    instanceType: fc.constantFrom(...limits.instanceTypes),
    imageId: hex(8, 17).map((h) => `ami-${h}`),
    count: fc.integer({ min: 1, max: limits.maxCount }),
    subnetId: hex(8, 17).map((h) => `subnet-${h}`),
    securityGroupIds: fc.array(
      hex(8, 17).map((h) => `sg-${h}`),
      { minLength: 1, maxLength: 5 },
    ),
    tags: fc.dictionary(tagKey, fc.string({ maxLength: 256 }), { maxKeys: 40 }),
    logPaths: fc.array(logPath, { minLength: 1, maxLength: 32 }),
    backupFrequency: schedule,
    policy: fc.constantFrom(...limits.policyNames),
  },
  { requiredKeys: ['name', 'instanceType', 'backupFrequency'] },
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'Application/JSON',
  'application/vnd.logvault+json',
);

type Body = Record<string, unknown>;

/** One way to break one field, and the field the answer must name. */
interface Mutation {
  readonly field: string;
  readonly status: number;
  apply(body: Body): Body;
}

/** Adds a key as JSON.parse would, as an own property even when it is `__proto__`. */
const withKey = (body: Body, key: string, value: unknown): Body =>
  Object.defineProperty({ ...body }, key, { value, enumerable: true, configurable: true, writable: true });
const set =
  (key: string, value: unknown) =>
  (body: Body): Body => ({ ...body, [key]: value });
const notString = fc.oneof(
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 2 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .constantFrom('name', 'instanceType', 'backupFrequency')
    .map((key) => ({ field: key, status: 400, apply: ({ [key]: _, ...rest }: Body) => rest })),
  fc
    .oneof(
      fc.string().filter((s) => !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(s)),
      notString,
    )
    .map((v) => ({ field: 'name', status: 400, apply: set('name', v) })),
  fc
    .oneof(
      fc.string().filter((s) => !limits.instanceTypes.includes(s)),
      notString,
    )
    .map((v) => ({ field: 'instanceType', status: 400, apply: set('instanceType', v) })),
  fc
    .oneof(
      fc.integer({ max: 0 }),
      fc.double({ min: 1.01, max: 4.99, noNaN: true }),
      fc.string(),
      fc.constant(null),
    )
    .filter((v) => !Number.isInteger(v) || (v as number) < 1)
    .map((v) => ({ field: 'count', status: 400, apply: set('count', v) })),
  fc
    .integer({ min: limits.maxCount + 1, max: 1_000_000 })
    .map((v) => ({ field: 'count', status: 422, apply: set('count', v) })),
  fc
    .oneof(
      fc.string().filter((s) => !/^ami-[0-9a-f]{8,17}$/.test(s)),
      notString,
    )
    .map((v) => ({ field: 'imageId', status: 400, apply: set('imageId', v) })),
  fc
    .oneof(
      fc.string().filter((s) => !/^subnet-[0-9a-f]{8,17}$/.test(s)),
      notString,
    )
    .map((v) => ({ field: 'subnetId', status: 400, apply: set('subnetId', v) })),
  fc
    .tuple(
      fc.nat({ max: 4 }),
      fc.string().filter((s) => !/^sg-[0-9a-f]{8,17}$/.test(s)),
    )
    .map(([i, bad]) => ({
      field: `securityGroupIds.${i}`,
      status: 400,
      apply: set('securityGroupIds', [...Array.from({ length: i }, () => 'sg-0123abcd'), bad]),
    })),
  fc.constant({ field: 'securityGroupIds', status: 400, apply: set('securityGroupIds', []) }),
  fc
    .tuple(fc.constantFrom('aws:', 'AWS:', 'logvault:', 'LogVault:'), fc.string({ maxLength: 20 }))
    .map(([prefix, rest]) => ({
      field: `tags.${prefix}${rest}`,
      status: 400,
      apply: set('tags', { [`${prefix}${rest}`]: 'x' }),
    })),
  tagKey.map((k) => ({ field: `tags.${k}`, status: 400, apply: set('tags', { [k]: 'v'.repeat(257) }) })),
  fc
    .tuple(
      fc.nat({ max: 3 }),
      fc.string({ minLength: 1 }).filter((p) => !p.startsWith('/')),
    )
    .map(([i, bad]) => ({
      field: `logPaths.${i}`,
      status: 400,
      apply: set('logPaths', [...Array.from({ length: i }, () => '/var/log/ok.log'), bad]),
    })),
  fc
    .tuple(logPath, fc.constantFrom('"', "'", '`', '$', '\\', '\n', '\r'))
    .map(([p, ch]) => ({ field: 'logPaths.0', status: 400, apply: set('logPaths', [`${p}${ch}`]) })),
  fc
    .oneof(
      fc.string().filter((s) => !/^(rate|cron)\(/.test(s)),
      notString,
    )
    .map((v) => ({ field: 'backupFrequency', status: 400, apply: set('backupFrequency', v) })),
  fc
    .oneof(
      fc.string().filter((s) => !limits.policyNames.includes(s)),
      notString,
    )
    .map((v) => ({ field: 'policy', status: 400, apply: set('policy', v) })),
  fc
    .oneof(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.constantFrom('__proto__', 'constructor', 'toString'),
    )
    .filter((k) => !KNOWN_FIELDS.includes(k))
    .map((k) => ({ field: k, status: 400, apply: (body: Body) => withKey(body, k, 'surprise') })),
  fc
    .constantFrom('__proto__', 'Name')
    .map((k) => ({ field: `tags.${k}`, status: 400, apply: set('tags', withKey({}, k, 'x')) })),
);

describe('POST /instances body (property)', () => {
  it('accepts every valid body with exactly its values, defaults filled', () => {
    fc.assert(
      fc.property(validBody, contentType, fc.boolean(), (body, ct, base64) => {
        const res = answer(JSON.stringify(body), { contentType: ct, base64 });
        expect(res.status).toBe(202);
        expect(res.value).toEqual({ count: 1, tags: {}, logPaths: [...DEFAULT_LOG_PATHS], ...body });
      }),
    );
  });

  it('refuses a valid body with one field broken with 400 or 422 naming that field', () => {
    fc.assert(
      fc.property(validBody, mutation, (body, m) => {
        const res = answer(JSON.stringify(m.apply(body)));
        expect(res.status).toBe(m.status);
        expect(res.fields).toContain(m.field);
        expect(res.message).toContain(m.field);
      }),
    );
  });

  it('answers any body and content type with a 4xx or an accepted request, never a 500 or a throw', () => {
    const bodies = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .jsonValue()
        .map((v) => JSON.stringify({ name: 'web-1', instanceType: 't4g.micro', backupFrequency: v })),
      fc.dictionary(fc.string(), fc.jsonValue()).map((d) => JSON.stringify(d)),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b).toString('latin1')),
    );
    fc.assert(
      fc.property(bodies, fc.oneof(contentType, fc.string()), fc.boolean(), (body, ct, base64) => {
        const res = answer(body, { contentType: ct, base64 });
        expect([202, 400, 413, 415, 422]).toContain(res.status);
        if (res.status === 400 || res.status === 422) expect(res.fields.length).toBeGreaterThan(0);
      }),
    );
  });

  it('refuses any body over the limit with 413, whatever it holds', () => {
    fc.assert(
      fc.property(fc.nat({ max: 4096 }), fc.boolean(), (extra, base64) => {
        const res = answer(`"${'x'.repeat(MAX_BODY_BYTES + extra - 1)}"`, { base64 });
        expect(res.status).toBe(413);
      }),
      { numRuns: 20 },
    );
  });
});
