import { describe, expect, it } from 'vitest';
import { PolicyConfigError } from '#shared/policy/errors.ts';
import { accepted, expectIssue, file, policy, refusal } from './fixtures.ts';

describe('policy file shape', () => {
  it('fills in defaults: priority 0, codec levels zstd 3 / gzip 6, no source deletion, no early-deletion acknowledgement', () => {
    const set = accepted(file(policy('zipped', { codec: { name: 'gzip' } })));

    const [standard, zipped] = set.policies;
    expect(standard?.priority).toBe(0);
    expect(standard?.codec).toEqual({ name: 'zstd', level: 3 });
    expect(zipped?.codec).toEqual({ name: 'gzip', level: 6 });
    expect(standard?.deleteSourceAfterArchive).toBe(false);
    expect(standard?.acknowledgeEarlyDeletion).toBe(false);
    expect(standard?.storage.transitions).toEqual([]);
  });

  it('throws a named Error subclass listing every issue', () => {
    const error = refusal(file(policy('a', { retention: { days: 0 } }), policy('b', { priority: 1.5 })));

    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(PolicyConfigError);
    expect(error.name).toBe('PolicyConfigError');
    expect(error.issues.map((i) => i.path)).toEqual(['policies[1].retention.days', 'policies[2].priority']);
    expect(error.message).toBe(
      'policies[1].retention.days: must be a positive integer; policies[2].priority: must be an integer',
    );
  });

  it.each([
    ['top level', { ...file(), owner: 'platform' }, 'owner'],
    ['policy', file(policy('a', { ttl: 3 })), 'policies[1].ttl'],
    ['match', file(policy('a', { match: { sources: ['a*'], prefix: 'a' } })), 'policies[1].match.prefix'],
    ['retention', file(policy('a', { retention: { days: 3, hours: 2 } })), 'policies[1].retention.hours'],
    [
      'gfs',
      file(
        policy('a', {
          retention: { gfs: { dailyDays: 7, weeklyWeeks: 4, monthlyMonths: 6, yearlyYears: 1 } },
        }),
      ),
      'policies[1].retention.gfs.yearlyYears',
    ],
    [
      'storage',
      file(policy('a', { storage: { class: 'STANDARD', tier: 'hot' } })),
      'policies[1].storage.tier',
    ],
    [
      'transition',
      file(
        policy('a', {
          storage: { class: 'STANDARD', transitions: [{ days: 30, class: 'GLACIER', when: 1 }] },
        }),
      ),
      'policies[1].storage.transitions[0].when',
    ],
    [
      'codec',
      file(policy('a', { codec: { name: 'zstd', level: 3, threads: 4 } })),
      'policies[1].codec.threads',
    ],
    [
      'objectLock',
      file(policy('a', { objectLock: { mode: 'GOVERNANCE', days: 1, legalHold: true } })),
      'policies[1].objectLock.legalHold',
    ],
  ])('refuses an unknown key in the %s', (_where, json, path) => {
    expectIssue(json, path, 'unknown key');
  });

  it.each([
    ['retention.days', { retention: { days: 0 } }],
    ['retention.days', { retention: { days: -5 } }],
    ['retention.days', { retention: { days: 1.5 } }],
    ['retention.gfs.dailyDays', { retention: { gfs: { dailyDays: 0, weeklyWeeks: 4, monthlyMonths: 6 } } }],
    [
      'retention.gfs.weeklyWeeks',
      { retention: { gfs: { dailyDays: 7, weeklyWeeks: -1, monthlyMonths: 6 } } },
    ],
    [
      'retention.gfs.monthlyMonths',
      { retention: { gfs: { dailyDays: 7, weeklyWeeks: 4, monthlyMonths: 0 } } },
    ],
    [
      'storage.transitions[0].days',
      { storage: { class: 'STANDARD', transitions: [{ days: 0, class: 'GLACIER' }] } },
    ],
    ['objectLock.days', { objectLock: { mode: 'GOVERNANCE', days: 0 } }],
  ])('refuses %s that is not a positive integer (%j)', (field, overrides) => {
    expectIssue(file(policy('a', overrides)), `policies[1].${field}`, 'must be a positive integer');
  });

  it.each([
    ['retention.days', { retention: { days: 100_000_000 } }, 'at most 365000'],
    ['retention.days', { retention: { days: 9_007_199_254_740_991 } }, 'at most 365000'],
    ['retention.days', { retention: { days: 1e300 } }, 'at most 365000'],
    [
      'retention.gfs.dailyDays',
      { retention: { gfs: { dailyDays: 365_001, weeklyWeeks: 4, monthlyMonths: 6 } } },
      'at most 365000',
    ],
    [
      'retention.gfs.weeklyWeeks',
      { retention: { gfs: { dailyDays: 7, weeklyWeeks: 52_143, monthlyMonths: 6 } } },
      'at most 52142',
    ],
    [
      'retention.gfs.monthlyMonths',
      { retention: { gfs: { dailyDays: 7, weeklyWeeks: 4, monthlyMonths: 10_000_000 } } },
      'at most 12000',
    ],
    [
      'storage.transitions[0].days',
      { storage: { class: 'STANDARD', transitions: [{ days: 2 ** 31, class: 'GLACIER' }] } },
      'at most 365000',
    ],
    [
      'objectLock.days',
      { retention: { keepForever: true }, objectLock: { mode: 'COMPLIANCE', days: 1e8 } },
      'at most 36500 (S3 Object Lock retains for at most 100 years)',
    ],
    ['priority', { priority: 2 ** 60 }, 'must be from -1000000 to 1000000'],
    ['priority', { priority: -1_000_001 }, 'must be from -1000000 to 1000000'],
  ])('refuses %s beyond its limit (%j), naming the limit', (field, overrides, rule) => {
    const error = expectIssue(file(policy('a', overrides)), `policies[1].${field}`, rule);

    expect(error.issues.filter((i) => i.path === `policies[1].${field}`)).toHaveLength(1);
  });

  it('accepts every number at its limit', () => {
    const set = accepted(
      file(
        policy('a', { retention: { days: 365_000 }, priority: 1_000_000 }),
        policy('b', {
          retention: { gfs: { dailyDays: 365_000, weeklyWeeks: 52_142, monthlyMonths: 12_000 } },
          storage: { class: 'STANDARD', transitions: [{ days: 365_000, class: 'GLACIER' }] },
          objectLock: { mode: 'GOVERNANCE', days: 36_500 },
          acknowledgeEarlyDeletion: true,
          priority: -1_000_000,
        }),
      ),
    );

    expect(set.policies.map((p) => p.priority)).toEqual([0, 1_000_000, -1_000_000]);
  });

  it.each([[{ days: 3, keepForever: true }], [{}], ['90 days']])(
    'refuses retention %j that is not exactly one of days, keepForever or gfs',
    (retention) => {
      expectIssue(file(policy('a', { retention })), 'policies[1].retention', 'must be exactly one of');
    },
  );

  it('refuses keepForever: false', () => {
    expectIssue(
      file(policy('a', { retention: { keepForever: false } })),
      'policies[1].retention.keepForever',
      'must be true',
    );
  });

  it.each(['Upper', 'has space', 'under_score', '', 'x'.repeat(33)])('refuses the policy name %j', (name) => {
    expectIssue(
      file(policy('a', { name })),
      'policies[1].name',
      'must be 1 to 32 characters of a-z, 0-9 and -',
    );
  });

  it('accepts a 32-character name of the allowed characters', () => {
    const name = 'a-0'.repeat(10).concat('zz');

    expect(accepted(file(policy(name))).policies[1]?.name).toBe(name);
  });

  it('refuses an unknown storage class, naming the allowed ones', () => {
    expectIssue(
      file(policy('a', { storage: { class: 'REDUCED_REDUNDANCY' } })),
      'policies[1].storage.class',
      'must be one of "STANDARD", "INTELLIGENT_TIERING", "STANDARD_IA", "ONEZONE_IA", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"',
    );
  });

  it('refuses an unknown codec', () => {
    expectIssue(
      file(policy('a', { codec: { name: 'lz4' } })),
      'policies[1].codec.name',
      'must be "zstd" or "gzip"',
    );
  });

  it.each([
    ['zstd', 0, 'must be an integer from 1 to 19'],
    ['zstd', 20, 'must be an integer from 1 to 19'],
    ['gzip', 0, 'must be an integer from 1 to 9'],
    ['gzip', 10, 'must be an integer from 1 to 9'],
    ['gzip', 2.5, 'must be an integer from 1 to 9'],
  ])('refuses %s level %d', (name, level, rule) => {
    expectIssue(file(policy('a', { codec: { name, level } })), 'policies[1].codec.level', rule);
  });

  it('accepts the extreme codec levels', () => {
    const set = accepted(
      file(
        policy('a', { codec: { name: 'zstd', level: 19 } }),
        policy('b', { codec: { name: 'gzip', level: 1 } }),
      ),
    );

    expect(set.policies.map((p) => p.codec.level)).toEqual([3, 19, 1]);
  });

  it('refuses an object lock mode other than GOVERNANCE or COMPLIANCE', () => {
    expectIssue(
      file(policy('a', { objectLock: { mode: 'LEGAL_HOLD', days: 1 } })),
      'policies[1].objectLock.mode',
      'must be one of "GOVERNANCE", "COMPLIANCE"',
    );
  });

  it('refuses a match without sources, an empty glob, and non-string tag values', () => {
    expectIssue(
      file(policy('a', { match: { sources: [] } })),
      'policies[1].match.sources',
      'must list at least one glob',
    );
    expectIssue(
      file(policy('a', { match: { sources: [''] } })),
      'policies[1].match.sources[0]',
      'must not be empty',
    );
    expectIssue(
      file(policy('a', { match: { sources: ['a*'], tags: { 'aws:team': 7 } } })),
      'policies[1].match.tags["aws:team"]',
      'must be a string',
    );
  });

  it('refuses a __proto__ tag name, which would otherwise vanish and widen the match', () => {
    const tags = JSON.parse('{"__proto__": "x", "team": "web"}') as Record<string, string>;

    expectIssue(
      file(policy('a', { match: { sources: ['a*'], tags } })),
      'policies[1].match.tags.__proto__',
      '__proto__ cannot be a tag name',
    );
  });

  it('names missing required fields', () => {
    const { retention: _, ...withoutRetention } = policy('a');

    expectIssue(file(withoutRetention), 'policies[1].retention', 'is required');
  });

  it('refuses any version but 1, and a file with no policies', () => {
    expectIssue({ ...file(), version: 2 }, 'version', 'must be 1');
    expectIssue(
      { version: 1, defaultPolicy: 'standard', policies: [] },
      'policies',
      'must list at least one policy',
    );
  });

  it('refuses a document that is not an object', () => {
    expect(refusal([1, 2]).message).toBe('must be an object');
  });
});
