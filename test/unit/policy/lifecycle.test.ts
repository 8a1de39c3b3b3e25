import { describe, expect, it } from 'vitest';
import { accepted, expectIssue, file, policy } from './fixtures.ts';

const stored = (storageClass: string, transitions: { days: number; class: string }[] = []) => ({
  storage: { class: storageClass, transitions },
});

describe('storage transitions', () => {
  it.each(['STANDARD_IA', 'ONEZONE_IA'])('refuses a transition to %s before day 30', (target) => {
    const json = file(policy('a', stored('STANDARD', [{ days: 29, class: target }])));

    expectIssue(
      json,
      'policies[1].storage.transitions[0].days',
      `a transition to ${target} must be at day 30 or later`,
    );
  });

  it('accepts a transition to STANDARD_IA at exactly day 30', () => {
    expect(
      accepted(file(policy('a', stored('STANDARD', [{ days: 30, class: 'STANDARD_IA' }])))).policies,
    ).toHaveLength(2);
  });

  it('refuses transitions that are not in increasing days', () => {
    const json = file(
      policy('a', {
        retention: { days: 400 },
        ...stored('STANDARD', [
          { days: 100, class: 'GLACIER_IR' },
          { days: 100, class: 'GLACIER' },
        ]),
      }),
    );

    expectIssue(
      json,
      'policies[1].storage.transitions[1].days',
      'must be later than the previous transition (day 100)',
    );
  });

  it('refuses a transition to a class no colder than the previous one', () => {
    const json = file(
      policy('a', {
        retention: { days: 400 },
        ...stored('STANDARD', [
          { days: 30, class: 'GLACIER' },
          { days: 200, class: 'GLACIER_IR' },
        ]),
      }),
    );

    expectIssue(json, 'policies[1].storage.transitions[1].class', 'must be colder than GLACIER');
  });

  it('refuses a first transition no colder than the write-time class', () => {
    const json = file(
      policy('a', {
        retention: { days: 400 },
        ...stored('GLACIER_IR', [{ days: 30, class: 'INTELLIGENT_TIERING' }]),
      }),
    );

    expectIssue(
      json,
      'policies[1].storage.transitions[0].class',
      'must be colder than GLACIER_IR (policies[1].storage.class)',
    );
  });

  it('refuses a transition to the same class as the write-time class', () => {
    const json = file(policy('a', stored('STANDARD', [{ days: 30, class: 'STANDARD' }])));

    expectIssue(json, 'policies[1].storage.transitions[0].class', 'must be colder than STANDARD');
  });

  it('refuses leaving STANDARD_IA less than 30 days after entering it', () => {
    const json = file(
      policy('a', {
        retention: { days: 400 },
        ...stored('STANDARD', [
          { days: 30, class: 'STANDARD_IA' },
          { days: 59, class: 'GLACIER' },
        ]),
      }),
    );

    expectIssue(
      json,
      'policies[1].storage.transitions[1].days',
      'must be at least 30 days after the object enters STANDARD_IA (day 30)',
    );
  });

  it('accepts leaving STANDARD_IA exactly 30 days after entering it', () => {
    const json = file(
      policy('a', {
        retention: { days: 400 },
        ...stored('STANDARD', [
          { days: 30, class: 'STANDARD_IA' },
          { days: 60, class: 'GLACIER' },
          { days: 90, class: 'DEEP_ARCHIVE' },
        ]),
      }),
    );

    expect(accepted(json).policies[1]?.storage.transitions).toHaveLength(3);
  });

  it('counts an object written to ONEZONE_IA as entering it on day 0', () => {
    const json = file(
      policy('a', { retention: { days: 400 }, ...stored('ONEZONE_IA', [{ days: 20, class: 'GLACIER' }]) }),
    );

    expectIssue(
      json,
      'policies[1].storage.transitions[0].days',
      'must be at least 30 days after the object enters ONEZONE_IA (day 0)',
    );
  });
});

describe('early deletion', () => {
  it.each([
    ['STANDARD_IA', 29, 30],
    ['ONEZONE_IA', 29, 30],
    ['GLACIER_IR', 89, 90],
    ['GLACIER', 89, 90],
    ['DEEP_ARCHIVE', 179, 180],
  ])('refuses %s at write kept %d days (needs %d)', (storageClass, days, needed) => {
    const json = file(policy('a', { retention: { days }, ...stored(storageClass) }));

    expectIssue(json, 'policies[1].retention.days', `retention must be at least ${needed} days`);
  });

  it.each([
    ['STANDARD_IA', 30],
    ['GLACIER_IR', 90],
    ['DEEP_ARCHIVE', 180],
    ['STANDARD', 1],
    ['INTELLIGENT_TIERING', 1],
  ])('accepts %s at write kept %d days', (storageClass, days) => {
    expect(
      accepted(file(policy('a', { retention: { days }, ...stored(storageClass) }))).policies,
    ).toHaveLength(2);
  });

  it('adds the minimum of the last class to the day of the last transition', () => {
    const json = file(
      policy('a', {
        retention: { days: 209 },
        ...stored('STANDARD', [
          { days: 30, class: 'STANDARD_IA' },
          { days: 120, class: 'GLACIER' },
        ]),
      }),
    );

    expectIssue(
      json,
      'policies[1].retention.days',
      'they reach GLACIER on day 120 and S3 bills 90 days there, so retention must be at least 210 days',
    );
  });

  it('refuses a retention that ends before a transition can complete', () => {
    const json = file(
      policy('a', { retention: { days: 30 }, ...stored('STANDARD', [{ days: 30, class: 'STANDARD_IA' }]) }),
    );

    expectIssue(json, 'policies[1].retention.days', 'retention must be at least 60 days');
  });

  it('measures GFS by its longest horizon, the monthlies, in their shortest case', () => {
    // 3 months from a 1st can be as short as Feb + Mar + Apr = 89 days in a common year.
    const gfs = (monthlyMonths: number) => ({
      retention: { gfs: { dailyDays: 7, weeklyWeeks: 4, monthlyMonths } },
    });

    expectIssue(
      file(policy('a', { ...gfs(2), ...stored('GLACIER_IR') })),
      'policies[1].retention.gfs',
      'keeps objects 59 days',
    );
    expectIssue(
      file(policy('a', { ...gfs(3), ...stored('GLACIER_IR') })),
      'policies[1].retention.gfs',
      'keeps objects 89 days',
    );
    expect(accepted(file(policy('a', { ...gfs(4), ...stored('GLACIER_IR') }))).policies).toHaveLength(2);
  });

  it('takes the GFS weekly horizon when it is the longest', () => {
    const gfs = (weeklyWeeks: number) => ({
      retention: { gfs: { dailyDays: 7, weeklyWeeks, monthlyMonths: 1 } },
    });

    expectIssue(
      file(policy('a', { ...gfs(12), ...stored('GLACIER') })),
      'policies[1].retention.gfs',
      'keeps objects 84 days',
    );
    expect(accepted(file(policy('a', { ...gfs(13), ...stored('GLACIER') }))).policies).toHaveLength(2);
  });

  it('lets acknowledgeEarlyDeletion accept the cost', () => {
    const json = file(
      policy('a', { retention: { days: 7 }, ...stored('DEEP_ARCHIVE'), acknowledgeEarlyDeletion: true }),
    );

    expect(accepted(json).policies[1]?.acknowledgeEarlyDeletion).toBe(true);
  });

  it('does not let acknowledgeEarlyDeletion bypass the S3 transition minimums', () => {
    const json = file(
      policy('a', {
        acknowledgeEarlyDeletion: true,
        ...stored('STANDARD', [{ days: 10, class: 'STANDARD_IA' }]),
      }),
    );

    expectIssue(json, 'policies[1].storage.transitions[0].days', 'must be at day 30 or later');
  });

  it('has nothing to check when objects are kept forever', () => {
    const json = file(policy('a', { retention: { keepForever: true }, ...stored('DEEP_ARCHIVE') }));

    expect(accepted(json).policies[1]?.retention).toEqual({ keepForever: true });
  });
});

describe('object lock', () => {
  it('refuses a lock longer than a days retention', () => {
    const json = file(policy('a', { retention: { days: 30 }, objectLock: { mode: 'COMPLIANCE', days: 31 } }));

    expectIssue(
      json,
      'policies[1].objectLock.days',
      'must not exceed the 30 days objects are retained (retention.days)',
    );
  });

  it('accepts a lock exactly as long as retention', () => {
    const json = file(policy('a', { retention: { days: 30 }, objectLock: { mode: 'COMPLIANCE', days: 30 } }));

    expect(accepted(json).policies[1]?.objectLock).toEqual({ mode: 'COMPLIANCE', days: 30 });
  });

  it('compares a GFS lock with dailyDays, since a plain daily is kept no longer', () => {
    const gfs = { gfs: { dailyDays: 14, weeklyWeeks: 8, monthlyMonths: 12 } };

    expectIssue(
      file(policy('a', { retention: gfs, objectLock: { mode: 'GOVERNANCE', days: 15 } })),
      'policies[1].objectLock.days',
      'must not exceed the 14 days objects are retained (retention.gfs.dailyDays)',
    );
    expect(
      accepted(file(policy('a', { retention: gfs, objectLock: { mode: 'GOVERNANCE', days: 14 } }))).policies,
    ).toHaveLength(2);
  });

  it('accepts any lock on a keep-forever policy', () => {
    const json = file(
      policy('a', { retention: { keepForever: true }, objectLock: { mode: 'GOVERNANCE', days: 3650 } }),
    );

    expect(accepted(json).policies[1]?.objectLock?.days).toBe(3650);
  });
});
