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
