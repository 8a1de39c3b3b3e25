import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorResponse } from '#shared/http/respond.ts';
import {
  DEFAULT_LOG_PATHS,
  type InstanceRequest,
  MAX_BODY_BYTES,
  parseInstanceRequest,
} from '#shared/provision/request.ts';
import { bodyHash } from '#shared/provision/store.ts';
import { encodeUserData, renderUserData, USER_DATA_MAX_BYTES } from '#shared/provision/user-data.ts';

const limits = {
  instanceTypes: ['t4g.nano', 't4g.micro', 'm7g.large'],
  maxCount: 5,
  policyNames: ['standard', 'instances', 'audit'],
  region: 'ap-southeast-2',
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
    // Within what the instance's user data can hold (paths take about 6 KiB of its 16).
    logPaths: fc
      .array(logPath, { minLength: 1, maxLength: 32 })
      .filter((paths) => Buffer.byteLength(paths.join('')) + 3 * paths.length <= 4096),
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
    .tuple(logPath, fc.constantFrom('"', "'", '`', '$', '\\', '\n', '\r', '\0'))
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
        const { tags = {}, ...rest } = body;
        expect(res.value).toEqual({
          count: 1,
          logPaths: [...DEFAULT_LOG_PATHS],
          ...rest,
          tags: Object.entries(tags)
            .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
            .map(([key, value]) => ({ key, value })),
        });
      }),
    );
  });

  it('treats the same tags in any order as the same request, with the same body hash', () => {
    const reordered = validBody.chain((body) =>
      fc
        .shuffledSubarray(Object.entries(body.tags ?? {}), { minLength: Object.keys(body.tags ?? {}).length })
        .map((entries) => ({ body, again: { ...body, tags: Object.fromEntries(entries) } })),
    );
    fc.assert(
      fc.property(reordered, ({ body, again }) => {
        const first = answer(JSON.stringify(body));
        const second = answer(JSON.stringify(again));
        expect(second.value).toEqual(first.value);
        expect(bodyHash(second.value as InstanceRequest)).toBe(bodyHash(first.value as InstanceRequest));
      }),
    );
  });

  it('accepts tag keys named after Object members and keeps them as plain tags', () => {
    const member = fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf');
    fc.assert(
      fc.property(validBody, fc.uniqueArray(member, { minLength: 1 }), (body, keys) => {
        const tags = Object.fromEntries(keys.map((k) => [k, `${k}-value`]));
        const res = answer(JSON.stringify({ ...body, tags }));
        expect(res.status).toBe(202);
        const pairs = (res.value as InstanceRequest).tags;
        expect(pairs.map((t) => t.key)).toEqual([...keys].sort());
        for (const t of pairs) expect(t.value).toBe(`${t.key}-value`);
      }),
    );
  });

  it('accepts only requests whose instances the worker can render user data for', () => {
    // Ordinary paths; long paths, up to twice what user data can hold; ordinary ones with a NUL byte.
    const paths = fc.oneof(
      fc.array(logPath, { minLength: 1, maxLength: 32 }),
      fc.array(
        fc.integer({ min: 100, max: 480 }).map((n) => `/var/log/${'x'.repeat(n)}`),
        { minLength: 1, maxLength: 32, size: 'max' },
      ),
      fc
        .tuple(fc.array(logPath, { minLength: 1, maxLength: 31 }), fc.nat(), logPath)
        .map(([list, at, bad]) => list.toSpliced(at % (list.length + 1), 0, `${bad}\0.log`)),
    );
    const body = fc.record({
      name: fc.constant('web-1'),
      instanceType: fc.constant('t4g.micro'),
      backupFrequency: schedule,
      logPaths: paths,
    });
    fc.assert(
      fc.property(body, (b) => {
        const res = answer(JSON.stringify(b));
        if (res.status === 202) {
          // The worker renders with the stage's real bucket and the request's id.
          const userData = renderUserData({
            ingestBucket: 'logvault-production-ingest-123456789012-ap-southeast-2',
            region: limits.region,
            logPaths: (res.value as InstanceRequest).logPaths,
            backupFrequency: b.backupFrequency,
            requestId: '3f2a9c1e-0b7d-4e6a-9c1f-2d3e4f5a6b7c',
          });
          // EC2's limit applies to what is launched: the compressed user data.
          expect(encodeUserData(userData).length).toBeLessThanOrEqual(USER_DATA_MAX_BYTES);
        } else {
          expect(res.status).toBe(400);
          expect(res.fields.some((f) => f === 'logPaths' || f.startsWith('logPaths.'))).toBe(true);
        }
      }),
    );
  });

  it('refuses paths whose user data would exceed 16 KiB with a 400 naming logPaths and the limit', () => {
    const res = answer(
      JSON.stringify({
        name: 'web-1',
        instanceType: 't4g.micro',
        backupFrequency: 'rate(1 hour)',
        // Digests do not compress away, so these paths really take their length in the user data.
        logPaths: Array.from(
          { length: 32 },
          (_, i) =>
            `/var/log/${[0, 1, 2, 3, 4].map((j) => createHash('sha512').update(`${i}.${j}`).digest('base64url')).join('')}`,
        ),
      }),
    );
    expect(res.status).toBe(400);
    expect(res.fields).toEqual(['logPaths']);
    expect(res.message).toContain(String(USER_DATA_MAX_BYTES));
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
