import { describe, expect, it } from 'vitest';
import { addUtcMonths, fewestDaysInMonths, startOfUtcDay } from '#shared/policy/dates.ts';

const at = (iso: string) => new Date(iso);
const DAY_MS = 86_400_000;

describe('addUtcMonths', () => {
  it.each([
    ['2025-12-15T08:30:00.000Z', 1, '2026-01-15T08:30:00.000Z'],
    ['2028-02-29T00:00:00.000Z', 1, '2028-03-29T00:00:00.000Z'],
    ['2028-02-29T00:00:00.000Z', 12, '2029-02-28T00:00:00.000Z'],
    ['2028-02-29T00:00:00.000Z', 48, '2032-02-29T00:00:00.000Z'],
    ['2028-01-31T00:00:00.000Z', 1, '2028-02-29T00:00:00.000Z'],
    ['2027-01-31T00:00:00.000Z', 1, '2027-02-28T00:00:00.000Z'],
    ['2025-10-31T23:59:59.000Z', 4, '2026-02-28T23:59:59.000Z'],
    ['2025-08-31T00:00:00.000Z', 1, '2025-09-30T00:00:00.000Z'],
    ['2025-03-31T00:00:00.000Z', -1, '2025-02-28T00:00:00.000Z'],
  ])('%s + %d months = %s (clamped to month end, leap days honoured)', (from, months, expected) => {
    expect(addUtcMonths(at(from), months).toISOString()).toBe(expected);
  });
});

describe('fewestDaysInMonths', () => {
  it.each([
    [1, 28],
    [2, 59],
    [3, 89],
    [12, 365],
    [13, 393],
  ])('%d months can be as short as %d days', (months, days) => {
    expect(fewestDaysInMonths(months)).toBe(days);
  });

  it('is a lower bound on, and for up to a year equal to, the real span from every 1st of month in 2024-2032', () => {
    for (let months = 1; months <= 30; months++) {
      let shortest = Number.POSITIVE_INFINITY;
      for (let m = 0; m < 9 * 12; m++) {
        const start = new Date(Date.UTC(2024, m, 1));
        shortest = Math.min(shortest, (addUtcMonths(start, months).getTime() - start.getTime()) / DAY_MS);
      }
      expect(fewestDaysInMonths(months)).toBeLessThanOrEqual(shortest);
      if (months <= 12) expect(fewestDaysInMonths(months)).toBe(shortest);
    }
  });
});

describe('startOfUtcDay', () => {
  it('uses the UTC day, not the local one', () => {
    expect(startOfUtcDay(at('2025-03-01T23:30:00-05:00')).toISOString()).toBe('2025-03-02T00:00:00.000Z');
  });
});
