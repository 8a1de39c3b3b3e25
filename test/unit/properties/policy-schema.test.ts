import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addUtcDays } from '#shared/policy/dates.ts';
import { PolicyConfigError } from '#shared/policy/errors.ts';
import { computeExpiry } from '#shared/policy/expiry.ts';
import { ruleFor } from '#shared/policy/format-issues.ts';
import { parsePolicies } from '#shared/policy/load.ts';
import { policyFileSchema } from '#shared/policy/schema.ts';
import { STORAGE_CLASSES } from '#shared/policy/storage-classes.ts';

type Json = Record<string, unknown>;

const positive = fc.integer({ min: 1, max: 5000 });
const name = fc.stringMatching(/^[a-z0-9-]{1,32}$/);
const retention = fc.oneof(
  positive.map((days) => ({ days })),
  fc.constant({ keepForever: true }),
  fc
    .record({ dailyDays: positive, weeklyWeeks: positive, monthlyMonths: fc.integer({ min: 1, max: 120 }) })
    .map((gfs) => ({ gfs })),
);
const codec = fc.oneof(
  fc.record(
    { name: fc.constant('zstd'), level: fc.integer({ min: 1, max: 19 }) },
    { requiredKeys: ['name'] },
  ),
  fc.record({ name: fc.constant('gzip'), level: fc.integer({ min: 1, max: 9 }) }, { requiredKeys: ['name'] }),
);

/** Transitions S3 lifecycle accepts: ever colder, ever later, IA entered no sooner than day 30 and left 30 days after. */
const storage = fc
  .tuple(
    fc.subarray([...STORAGE_CLASSES], { minLength: 1 }),
    fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 7, maxLength: 7 }),
  )
  .map(([classes, gaps]) => {
    const [first, ...rest] = classes as [string, ...string[]];
    let day = 0;
    const transitions = rest.map((cls, i) => {
      day += Math.max(gaps[i] ?? 1, 30);
      return { days: day, class: cls };
    });
    return transitions.length ? { class: first, transitions } : { class: first };
  });

/** A one-policy file that passes every rule: the lock fits retention and early deletion is acknowledged. */
const validFile = fc
  .record(
    {
      name,
      description: fc.string({ maxLength: 40 }),
      priority: fc.integer({ min: -1000, max: 1000 }),
      retention,
      storage,
      codec,
      deleteSourceAfterArchive: fc.boolean(),
      lock: fc.record({
        mode: fc.constantFrom('GOVERNANCE', 'COMPLIANCE'),
        fraction: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      sources: fc.array(fc.stringMatching(/^[a-z0-9*?-]{1,20}$/), { minLength: 1, maxLength: 4 }),
      withLock: fc.boolean(),
    },
    { requiredKeys: ['name', 'retention', 'storage', 'codec', 'sources', 'lock', 'withLock'] },
  )
  .map(({ lock, withLock, sources, ...p }) => {
    const shortest =
      'days' in p.retention ? p.retention.days : 'gfs' in p.retention ? p.retention.gfs.dailyDays : 3650;
    const policy: Json = {
      ...p,
      match: { sources: ['*', ...sources] },
      acknowledgeEarlyDeletion: true,
      ...(withLock
        ? { objectLock: { mode: lock.mode, days: Math.max(1, Math.floor(shortest * lock.fraction)) } }
        : {}),
    };
    return { version: 1, defaultPolicy: p.name, policies: [policy] } as Json;
  });

const policyOf = (file: Json) => (file.policies as Json[])[0] as Json;

/** The same file with one field replaced; `path` is where the refusal must point. */
interface Mutation {
  readonly path: string;
  apply(file: Json): Json;
}
const inPolicy = (path: string, edit: (p: Json) => Json): Mutation => ({
  path: `policies[0].${path}`,
  apply: (file) => ({ ...file, policies: [edit(policyOf(file))] }),
});
const notInt = fc.oneof(
  fc.double({ noInteger: true, noNaN: true }),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
);
const identifier = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,10}$/);
const KNOWN = new Set([
  'name',
  'description',
  'priority',
  'match',
  'retention',
  'storage',
  'codec',
  'deleteSourceAfterArchive',
  'objectLock',
  'acknowledgeEarlyDeletion',
  'version',
  'defaultPolicy',
  'policies',
  'sources',
  'tags',
  'days',
  'keepForever',
  'gfs',
  'class',
  'transitions',
  'level',
  'mode',
]);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .oneof(fc.integer(), fc.string())
    .filter((v) => v !== 1)
    .map((v) => ({ path: 'version', apply: (f: Json) => ({ ...f, version: v }) })),
  fc
    .oneof(
      fc.string().filter((s) => !/^[a-z0-9-]{1,32}$/.test(s)),
      fc.integer(),
    )
    .map((v) => inPolicy('name', (p) => ({ ...p, name: v }))),
  notInt.map((v) => inPolicy('priority', (p) => ({ ...p, priority: v }))),
  fc
    .oneof(fc.integer({ max: 0 }), notInt)
    .map((v) => inPolicy('retention.days', (p) => ({ ...p, retention: { days: v } }))),
  fc
    .tuple(
      fc.constantFrom('dailyDays', 'weeklyWeeks', 'monthlyMonths'),
      fc.oneof(fc.integer({ max: 0 }), notInt),
    )
    .map(([k, v]) =>
      inPolicy(`retention.gfs.${k}`, (p) => ({
        ...p,
        retention: { gfs: { dailyDays: 7, weeklyWeeks: 4, monthlyMonths: 6, [k]: v } },
      })),
    ),
  fc
    .oneof(fc.integer({ min: 20, max: 1000 }), fc.integer({ max: 0 }))
    .map((v) => inPolicy('codec.level', (p) => ({ ...p, codec: { name: 'zstd', level: v } }))),
  fc
    .string()
    .filter((s) => !(STORAGE_CLASSES as readonly string[]).includes(s))
    .map((v) => inPolicy('storage.class', (p) => ({ ...p, storage: { class: v } }))),
  fc.constant(inPolicy('match.sources', (p) => ({ ...p, match: { sources: [] } }))),
  fc
    .oneof(fc.string(), fc.integer(), fc.constant(null))
    .map((v) => inPolicy('deleteSourceAfterArchive', (p) => ({ ...p, deleteSourceAfterArchive: v }))),
  fc.constant(
    inPolicy('objectLock.days', (p) => ({
      ...p,
      retention: { days: 30 },
      objectLock: { mode: 'GOVERNANCE', days: 31 },
    })),
  ),
  identifier.filter((k) => !KNOWN.has(k)).map((k) => inPolicy(k, (p) => ({ ...p, [k]: 1 }))),
  identifier
    .filter((k) => !KNOWN.has(k))
    .map((k) => inPolicy(`storage.${k}`, (p) => ({ ...p, storage: { ...(p.storage as Json), [k]: 'x' } }))),
  identifier
    .filter((k) => !KNOWN.has(k))
    .map((k) => ({ path: k, apply: (f: Json) => ({ ...f, [k]: true }) })),
);

function refusal(json: unknown): PolicyConfigError {
  try {
    parsePolicies(json);
  } catch (error) {
    if (error instanceof PolicyConfigError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('policy schema (property)', () => {
  it('accepts every valid policy file and keeps its values, filling only the defaults', () => {
    fc.assert(
      fc.property(validFile, (file) => {
        const input = policyOf(file);
        const set = parsePolicies(file);
        const expected = {
          priority: 0,
          deleteSourceAfterArchive: false,
          ...input,
          storage: { transitions: [], ...(input.storage as Json) },
          codec: { level: (input.codec as Json).name === 'zstd' ? 3 : 6, ...(input.codec as Json) },
        };
        expect(set.policies).toEqual([expected]);
        expect(set.defaultPolicy).toEqual(expected);
        expect(policyFileSchema.safeParse(file, { error: ruleFor }).data?.policies).toEqual([expected]);
      }),
    );
  });

  it('refuses a valid file with one field broken, naming exactly that field', () => {
    fc.assert(
      fc.property(validFile, mutation, (file, m) => {
        const error = refusal(m.apply(file));
        expect(error.issues.map((i) => i.path)).toContain(m.path);
        expect(error.message).toContain(`${m.path}: `);
      }),
    );
  });

  it('gives every policy it accepts a real expiry and lock date for any archive time from 2000 to 2100', () => {
    // Ordinary values, values near each limit, and the huge ones that once passed `check`.
    const count = fc.oneof(
      fc.integer({ min: 1, max: 5000 }),
      fc.integer({ min: 1, max: 400_000 }),
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      fc.constantFrom(12_000, 36_500, 52_142, 365_000, 100_000_000, 9_007_199_254_740_991, 1e300),
    );
    const numbers = fc.record({
      retention: fc.oneof(
        count.map((days) => ({ days })),
        fc.record({ dailyDays: count, weeklyWeeks: count, monthlyMonths: count }).map((gfs) => ({ gfs })),
        fc.constant({ keepForever: true }),
      ),
      lockDays: fc.option(count, { nil: undefined }),
      transitionDays: fc.option(count, { nil: undefined }),
    });
    const archiveTime = fc.date({
      min: new Date('2000-01-01T00:00:00Z'),
      max: new Date('2100-12-31T23:59:59Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(numbers, fc.array(archiveTime, { minLength: 1, maxLength: 5 }), (n, times) => {
        const doc = {
          version: 1,
          defaultPolicy: 'p',
          policies: [
            {
              name: 'p',
              match: { sources: ['*'] },
              retention: n.retention,
              storage: {
                class: 'STANDARD',
                transitions: n.transitionDays ? [{ days: n.transitionDays, class: 'DEEP_ARCHIVE' }] : [],
              },
              codec: { name: 'zstd' },
              acknowledgeEarlyDeletion: true,
              ...(n.lockDays ? { objectLock: { mode: 'GOVERNANCE', days: n.lockDays } } : {}),
            },
          ],
        };
        let policy: ReturnType<typeof parsePolicies>['defaultPolicy'];
        try {
          policy = parsePolicies(doc).defaultPolicy;
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyConfigError);
          return;
        }
        for (const at of times) {
          const expiry = computeExpiry(policy, at);
          const dates = [expiry, policy.objectLock ? addUtcDays(at, policy.objectLock.days) : null];
          for (const d of dates.filter((x): x is Date => x !== null)) {
            expect(d.getTime()).toBeGreaterThan(at.getTime());
            expect(d.toISOString()).toMatch(/^\d{4}-\d{2}-\d{2}T/);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('answers any JSON with a policy set or a PolicyConfigError listing paths and rules, never another error', () => {
    const docs = fc.oneof(
      fc.jsonValue(),
      fc.jsonValue().map((v) => ({ version: 1, defaultPolicy: 'a', policies: [v] })),
      fc.jsonValue().map((v) => ({
        version: 1,
        defaultPolicy: 'a',
        policies: [
          {
            name: 'a',
            match: { sources: ['*'] },
            retention: v,
            storage: { class: 'STANDARD' },
            codec: { name: 'zstd' },
          },
        ],
      })),
    );
    fc.assert(
      fc.property(docs, (doc) => {
        try {
          parsePolicies(doc);
        } catch (error) {
          expect(error).toBeInstanceOf(PolicyConfigError);
          const { issues } = error as PolicyConfigError;
          expect(issues.length).toBeGreaterThan(0);
          for (const issue of issues) expect(issue.rule).toMatch(/\S/);
        }
      }),
    );
  });
});
