import { describe, expect, it } from 'vitest';
import { computeExpiry, expiryDay, storageClassAtWrite } from '#shared/policy/expiry.ts';
import type { Policy } from '#shared/policy/schema.ts';
import { accepted, file, policy } from './fixtures.ts';

function parsed(overrides: Record<string, unknown>): Policy {
  const set = accepted(file(policy('subject', overrides)));
  return set.policies[1] as Policy;
}

const days = (n: number) => parsed({ retention: { days: n } });
const gfs = (dailyDays: number, weeklyWeeks: number, monthlyMonths: number) =>
  parsed({ retention: { gfs: { dailyDays, weeklyWeeks, monthlyMonths } } });
const expiry = (p: Policy, archivedAt: string) => computeExpiry(p, new Date(archivedAt))?.toISOString();
const midnight = (day: string) => `${day}T00:00:00.000Z`;

describe('computeExpiry for days retention', () => {
  it('expires at 00:00Z the day after archive day + days (S3 lifecycle’s rule)', () => {
    expect(expiry(days(90), '2025-01-10T15:00:00Z')).toBe(midnight('2025-04-11'));
  });

  it('gives the same expiry for any time on the archive day, so every object gets at least days × 24 h', () => {
    expect(expiry(days(7), '2025-03-01T00:00:00.000Z')).toBe(midnight('2025-03-09'));
    expect(expiry(days(7), '2025-03-01T23:59:59.999Z')).toBe(midnight('2025-03-09'));
  });

  it('takes the archive day in UTC, not in the offset it was written with', () => {
    expect(expiry(days(7), '2025-03-01T23:30:00-05:00')).toBe(midnight('2025-03-10'));
  });

  it('crosses month ends', () => {
    expect(expiry(days(30), '2025-01-31T23:59:59Z')).toBe(midnight('2025-03-03'));
    expect(expiry(days(1), '2025-04-30T12:00:00Z')).toBe(midnight('2025-05-02'));
  });

  it('counts 29 February in a leap year', () => {
    expect(expiry(days(30), '2028-01-31T10:00:00Z')).toBe(midnight('2028-03-02'));
    expect(expiry(days(1), '2028-02-29T10:00:00Z')).toBe(midnight('2028-03-02'));
    expect(expiry(days(1), '2027-02-28T10:00:00Z')).toBe(midnight('2027-03-02'));
  });

  it('crosses year ends', () => {
    expect(expiry(days(1), '2025-12-31T12:00:00Z')).toBe(midnight('2026-01-02'));
    expect(expiry(days(7), '2025-12-25T08:00:00Z')).toBe(midnight('2026-01-02'));
    expect(expiry(days(365), '2027-03-01T00:00:00Z')).toBe(midnight('2028-03-01'));
  });

  it('returns null for keepForever', () => {
    expect(
      computeExpiry(parsed({ retention: { keepForever: true } }), new Date('2025-01-01T00:00:00Z')),
    ).toBeNull();
  });

  it('refuses an invalid date rather than returning an Invalid Date', () => {
    expect(() => computeExpiry(days(7), new Date('not a date'))).toThrow(RangeError);
  });
});

describe('computeExpiry for GFS retention (14 dailies, 8 weeklies, 12 monthlies)', () => {
  const rotation = gfs(14, 8, 12);
  const weekday = (iso: string) => new Date(iso).getUTCDay();

  it('keeps an object archived on neither a Sunday nor a 1st as a daily only', () => {
    expect(weekday('2025-01-08')).toBe(3);

    expect(expiry(rotation, '2025-01-08T04:00:00Z')).toBe(midnight('2025-01-23'));
  });

  it('keeps a Sunday object as a weekly, 8 weeks', () => {
    expect(weekday('2025-01-05')).toBe(0);

    expect(expiry(rotation, '2025-01-05T04:00:00Z')).toBe(midnight('2025-03-03'));
  });

  it('decides Sunday in UTC', () => {
    // Saturday evening in New York is already Sunday in UTC.
    expect(expiry(rotation, '2025-01-04T22:00:00-05:00')).toBe(midnight('2025-03-03'));
  });

  it('keeps a 1st-of-month object as a monthly, 12 calendar months, across the year end', () => {
    expect(weekday('2025-01-01')).toBe(3);

    expect(expiry(rotation, '2025-01-01T04:00:00Z')).toBe(midnight('2026-01-02'));
  });

  it('keeps an object that is both a weekly and a monthly until the later horizon', () => {
    expect(weekday('2025-06-01')).toBe(0);

    expect(expiry(rotation, '2025-06-01T04:00:00Z')).toBe(midnight('2026-06-02'));
    // With a short monthly horizon the weekly one (10 weeks) is the later.
    expect(expiry(gfs(1, 10, 1), '2025-06-01T04:00:00Z')).toBe(midnight('2025-08-11'));
  });

  it('uses the daily horizon when it is the longest', () => {
    expect(expiry(gfs(100, 1, 1), '2025-01-05T04:00:00Z')).toBe(midnight('2025-04-16'));
  });

  it('counts calendar months, including February in leap and common years', () => {
    expect(expiry(gfs(1, 1, 1), '2028-02-01T04:00:00Z')).toBe(midnight('2028-03-02'));
    expect(expiry(gfs(1, 1, 1), '2027-02-01T04:00:00Z')).toBe(midnight('2027-03-02'));
    expect(expiry(gfs(1, 1, 3), '2026-11-01T04:00:00Z')).toBe(midnight('2027-02-02'));
  });

  it('treats 29 February as a daily: only the 1st starts a monthly', () => {
    expect(weekday('2028-02-29')).toBe(2);

    expect(expiry(rotation, '2028-02-29T04:00:00Z')).toBe(midnight('2028-03-15'));
  });
});

describe('storageClassAtWrite', () => {
  const glacier = parsed({ retention: { days: 365 }, storage: { class: 'GLACIER_IR' } });

  it('writes objects under 128 KiB to STANDARD whatever the policy says', () => {
    expect(storageClassAtWrite(glacier, 0)).toBe('STANDARD');
    expect(storageClassAtWrite(glacier, 128 * 1024 - 1)).toBe('STANDARD');
  });

  it('writes objects of 128 KiB and more to the policy’s class', () => {
    expect(storageClassAtWrite(glacier, 128 * 1024)).toBe('GLACIER_IR');
    expect(storageClassAtWrite(glacier, 5 * 1024 ** 3)).toBe('GLACIER_IR');
  });

  it('refuses a size that cannot be one', () => {
    expect(() => storageClassAtWrite(glacier, -1)).toThrow(RangeError);
    expect(() => storageClassAtWrite(glacier, Number.NaN)).toThrow(RangeError);
  });
});

describe('expiryDay', () => {
  it('formats the UTC day as YYYY-MM-DD', () => {
    expect(expiryDay(new Date('2025-04-11T00:00:00Z'))).toBe('2025-04-11');
    expect(expiryDay(new Date('2025-04-10T23:59:59.999-02:00'))).toBe('2025-04-11');
    expect(expiryDay(new Date('2026-01-01T00:00:00Z'))).toBe('2026-01-01');
  });

  it('refuses an invalid date', () => {
    expect(() => expiryDay(new Date(Number.NaN))).toThrow(RangeError);
  });
});
