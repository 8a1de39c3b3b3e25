import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type CronSchedule,
  minimumIntervalMs,
  nextRun,
  parseScheduleExpression,
  type Schedule,
  ScheduleExpressionError,
  scheduleExpressionSchema,
} from '#shared/schedule/expression.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

function cron(expr: string): CronSchedule {
  const schedule = parseScheduleExpression(expr);
  if (schedule.kind !== 'cron') throw new Error(`${expr} is not a cron schedule`);
  return schedule;
}

/** The first `count` runs after `from`, as ISO strings. */
function runs(schedule: Schedule, from: string, count: number): string[] {
  const out: string[] = [];
  let at = new Date(from);
  for (let i = 0; i < count; i++) {
    at = nextRun(schedule, at);
    out.push(at.toISOString());
  }
  return out;
}

describe('parseScheduleExpression: rate', () => {
  it.each([
    ['rate(1 minute)', 1, 'minute', MIN],
    ['rate(5 minutes)', 5, 'minute', 5 * MIN],
    ['rate(1 hour)', 1, 'hour', HOUR],
    ['rate(12 hours)', 12, 'hour', 12 * HOUR],
    ['rate(1 day)', 1, 'day', DAY],
    ['rate(2 days)', 2, 'day', 2 * DAY],
    ['  rate( 90 minutes )  ', 90, 'minute', 90 * MIN],
  ])('%s', (expr, value, unit, intervalMs) => {
    expect(parseScheduleExpression(expr)).toMatchObject({ kind: 'rate', value, unit, intervalMs });
  });

  it.each([
    ['rate(5 minute)', 'rate unit must be "minutes" when the value is not 1'],
    ['rate(1 minutes)', 'rate unit must be "minute" when the value is 1'],
    ['rate(2 hour)', 'rate unit must be "hours" when the value is not 1'],
    ['rate(1 days)', 'rate unit must be "day" when the value is 1'],
    ['rate(0 minutes)', 'rate value must be from 1 to'],
    ['rate(1000001 minutes)', 'rate value must be from 1 to'],
    ['rate(-5 minutes)', 'rate value must be a whole number'],
    ['rate(1.5 hours)', 'rate value must be a whole number'],
    ['rate(5 seconds)', 'rate unit must be minute(s), hour(s) or day(s), not "seconds"'],
    ['rate(5 Minutes)', 'rate unit must be minute(s)'],
    ['rate(5)', 'rate needs a value and a unit'],
    ['rate()', 'rate needs a value and a unit'],
    ['rate(5 minutes', 'expected rate(value unit) or cron('],
    ['RATE(5 minutes)', 'expected rate(value unit) or cron('],
    ['every 5 minutes', 'expected rate(value unit) or cron('],
    ['', 'expected rate(value unit) or cron('],
  ])('refuses %j', (expr, message) => {
    expect(() => parseScheduleExpression(expr)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expr)).toThrow(message);
  });

  it('prefixes the field name and quotes the expression', () => {
    expect(() => parseScheduleExpression('rate(5 minute)', 'backupFrequency')).toThrow(
      'backupFrequency: rate unit must be "minutes" when the value is not 1 (got "rate(5 minute)")',
    );
  });

  it('throws an Error named ScheduleExpressionError', () => {
    const error = (() => {
      try {
        parseScheduleExpression('nope');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).name).toBe('ScheduleExpressionError');
  });
});

describe('parseScheduleExpression: cron', () => {
  it('expands every field', () => {
    expect(cron('cron(0 3 * * ? *)')).toMatchObject({
      minutes: [0],
      hours: [3],
      daysOfMonth: Array.from({ length: 31 }, (_, i) => i + 1),
      months: Array.from({ length: 12 }, (_, i) => i + 1),
      daysOfWeek: null,
    });
    expect(cron('cron(0 3 * * ? *)').years).toHaveLength(2199 - 1970 + 1);
  });

  it.each([
    ['cron(*/15 * ? * * *)', 'minutes', [0, 15, 30, 45]],
    ['cron(5/20 * ? * * *)', 'minutes', [5, 25, 45]],
    ['cron(10-30/10 * ? * * *)', 'minutes', [10, 20, 30]],
    ['cron(1,2,5-7,59 * ? * * *)', 'minutes', [1, 2, 5, 6, 7, 59]],
    ['cron(0 8-17 ? * * *)', 'hours', [8, 9, 10, 11, 12, 13, 14, 15, 16, 17]],
    ['cron(0 0 1,15 * ? *)', 'daysOfMonth', [1, 15]],
    ['cron(0 0 1 JAN,jul,12 ? *)', 'months', [1, 7, 12]],
    ['cron(0 0 1 MAR-MAY ? *)', 'months', [3, 4, 5]],
    ['cron(0 0 1 1/3 ? *)', 'months', [1, 4, 7, 10]],
    ['cron(0 0 ? * MON-FRI *)', 'daysOfWeek', [2, 3, 4, 5, 6]],
    ['cron(0 0 ? * 1,7 *)', 'daysOfWeek', [1, 7]],
    ['cron(0 0 ? * sun,WED *)', 'daysOfWeek', [1, 4]],
    ['cron(0 0 ? * * *)', 'daysOfWeek', [1, 2, 3, 4, 5, 6, 7]],
    ['cron(0 0 1 * ? 2026,2028-2029)', 'years', [2026, 2028, 2029]],
    ['cron(0 0 1 * ? 2190/5)', 'years', [2190, 2195]],
  ])('%s → %s', (expr, field, values) => {
    expect(cron(expr)[field as keyof CronSchedule]).toEqual(values);
  });

  it('accepts extra spaces between fields and normalises them in `expression`', () => {
    const schedule = cron('cron( 0   3 * *\t? * )');
    expect(schedule.hours).toEqual([3]);
    expect(schedule.expression).toBe('cron(0 3 * * ? *)');
    expect(parseScheduleExpression(' rate( 5\n minutes ) ').expression).toBe('rate(5 minutes)');
  });

  it.each([
    ['cron(0 3 * * ?)', 'cron needs 6 fields (minutes hours day-of-month month day-of-week year), found 5'],
    ['cron(0 3 * * ? * *)', 'found 7'],
    ['cron()', 'found 0'],
    ['cron(0 3 * * * *)', "exactly one of day-of-month and day-of-week must be '?'"],
    ['cron(0 3 1 * MON *)', "exactly one of day-of-month and day-of-week must be '?'"],
    ['cron(0 3 ? * ? *)', "exactly one of day-of-month and day-of-week must be '?'"],
    ['cron(? 3 * * ? *)', "'?' is allowed only in day-of-month or day-of-week"],
    ['cron(60 3 * * ? *)', 'minutes 60 is out of range 0-59'],
    ['cron(0 24 * * ? *)', 'hours 24 is out of range 0-23'],
    ['cron(0 0 0 * ? *)', 'day-of-month 0 is out of range 1-31'],
    ['cron(0 0 32 * ? *)', 'day-of-month 32 is out of range 1-31'],
    ['cron(0 0 1 13 ? *)', 'month 13 is out of range 1-12'],
    ['cron(0 0 ? * 0 *)', 'day-of-week 0 is out of range 1-7'],
    ['cron(0 0 ? * 8 *)', 'day-of-week 8 is out of range 1-7'],
    ['cron(0 0 1 * ? 1969)', 'year 1969 is out of range 1970-2199'],
    ['cron(0 0 1 * ? 2200)', 'year 2200 is out of range 1970-2199'],
    ['cron(0 0 1 FOO ? *)', 'month "FOO" is not a number from 1 to 12, JAN-DEC'],
    ['cron(0 MON * * ? *)', 'hours "MON" is not a number from 0 to 23'],
    ['cron(0 0 1 * ? JAN)', 'year "JAN" is not a number'],
    ['cron(0 0 ? * JANUARY *)', 'day-of-week "JANUARY" is not a number from 1 to 7, SUN-SAT'],
    ['cron(0 0 L * ? *)', "day-of-month 'L' (last day) and 'W' (weekday) are not supported"],
    ['cron(0 0 LW * ? *)', 'are not supported ("LW")'],
    ['cron(0 0 15W * ? *)', 'are not supported ("15W")'],
    ['cron(0 0 ? * 6L *)', "day-of-week 'L' (last) and '#' (nth) are not supported"],
    ['cron(0 0 ? * FRI#3 *)', 'are not supported ("FRI#3")'],
    ['cron(0 0 ? * 2#1 *)', 'are not supported ("2#1")'],
    ['cron(0 22-2 * * ? *)', 'hours range "22-2" runs backwards'],
    ['cron(0 0 ? * FRI-MON *)', 'day-of-week range "FRI-MON" runs backwards'],
    ['cron(*/0 * * * ? *)', 'minutes step in "*/0" must be a whole number from 1 to 60'],
    ['cron(*/61 * * * ? *)', 'minutes step in "*/61" must be a whole number from 1 to 60'],
    ['cron(*/x * * * ? *)', 'minutes step in "*/x"'],
    ['cron(1/2/3 * * * ? *)', `minutes "1/2/3" has more than one '/'`],
    ['cron(1-2-3 * * * ? *)', 'minutes "1-2-3" is not a value or a range'],
    ['cron(1,,2 * * * ? *)', 'minutes has an empty list item in "1,,2"'],
    ['cron(0 0 30 FEB ? *)', 'cron never matches a date'],
    ['cron(0 0 31 4,6,9,11 ? *)', 'cron never matches a date'],
    ['cron(0 0 29 2 ? 2100)', 'cron never matches a date'],
  ])('refuses %j', (expr, message) => {
    expect(() => parseScheduleExpression(expr)).toThrow(ScheduleExpressionError);
    expect(() => parseScheduleExpression(expr)).toThrow(message);
  });

  it('accepts Feb 29 when some allowed year is a leap year', () => {
    expect(cron('cron(0 0 29 2 ? 2100-2104)').years).toContain(2104);
  });
});

describe('scheduleExpressionSchema', () => {
  it('passes valid expressions through unchanged', () => {
    expect(scheduleExpressionSchema.parse('rate(5 minutes)')).toBe('rate(5 minutes)');
  });

  it('reports the parser message at the field path', () => {
    const request = z.object({ backupFrequency: scheduleExpressionSchema });
    const result = request.safeParse({ backupFrequency: 'rate(5 minute)' });
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ['backupFrequency'],
        message: expect.stringContaining('rate unit must be "minutes" when the value is not 1'),
      }),
    ]);
  });

  it('refuses non-strings', () => {
    expect(scheduleExpressionSchema.safeParse(5).success).toBe(false);
  });
});

describe('nextRun: rate', () => {
  const every5 = parseScheduleExpression('rate(5 minutes)');

  it('runs on whole intervals since the epoch by default', () => {
    expect(nextRun(every5, new Date('2026-02-27T10:07:30Z')).toISOString()).toBe('2026-02-27T10:10:00.000Z');
  });

  it('is strictly after `after`', () => {
    expect(nextRun(every5, new Date('2026-02-27T10:10:00Z')).toISOString()).toBe('2026-02-27T10:15:00.000Z');
  });

  it('counts from the anchor when given, first run one interval after it', () => {
    const anchor = new Date('2026-02-27T10:03:17Z');
    expect(nextRun(every5, new Date('2026-02-27T10:09:00Z'), { anchor }).toISOString()).toBe(
      '2026-02-27T10:13:17.000Z',
    );
    expect(nextRun(every5, new Date('2026-01-01T00:00:00Z'), { anchor }).toISOString()).toBe(
      '2026-02-27T10:08:17.000Z',
    );
  });

  it('crosses a year boundary', () => {
    const daily = parseScheduleExpression('rate(1 day)');
    expect(nextRun(daily, new Date('2026-12-31T23:59:59.999Z')).toISOString()).toBe(
      '2027-01-01T00:00:00.000Z',
    );
  });

  it('refuses an invalid Date', () => {
    expect(() => nextRun(every5, new Date('nope'))).toThrow(RangeError);
  });
});

describe('nextRun: cron', () => {
  it('waits for the next whole minute, strictly after `after`', () => {
    const everyMinute = cron('cron(* * * * ? *)');
    expect(runs(everyMinute, '2026-02-27T10:07:30.500Z', 2)).toEqual([
      '2026-02-27T10:08:00.000Z',
      '2026-02-27T10:09:00.000Z',
    ]);
    expect(runs(everyMinute, '2026-02-27T10:08:00.000Z', 1)).toEqual(['2026-02-27T10:09:00.000Z']);
  });

  it('crosses an hour boundary', () => {
    expect(runs(cron('cron(0/20 * * * ? *)'), '2026-02-27T10:41:00Z', 3)).toEqual([
      '2026-02-27T11:00:00.000Z',
      '2026-02-27T11:20:00.000Z',
      '2026-02-27T11:40:00.000Z',
    ]);
  });

  it('crosses a day boundary', () => {
    expect(runs(cron('cron(30 3,22 * * ? *)'), '2026-02-27T22:30:00Z', 2)).toEqual([
      '2026-02-28T03:30:00.000Z',
      '2026-02-28T22:30:00.000Z',
    ]);
  });

  it('crosses a month boundary and skips months without the day', () => {
    expect(runs(cron('cron(0 0 31 * ? *)'), '2026-01-31T00:00:00Z', 3)).toEqual([
      '2026-03-31T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
      '2026-07-31T00:00:00.000Z',
    ]);
  });

  it('crosses a year boundary', () => {
    expect(runs(cron('cron(0 0 1 JAN,JUL ? *)'), '2026-07-01T00:00:00Z', 2)).toEqual([
      '2027-01-01T00:00:00.000Z',
      '2027-07-01T00:00:00.000Z',
    ]);
    expect(runs(cron('cron(59 23 31 12 ? *)'), '2026-12-31T23:59:00Z', 1)).toEqual([
      '2027-12-31T23:59:00.000Z',
    ]);
  });

  it('finds Feb 29 only in leap years, skipping 2100', () => {
    const leapDay = cron('cron(0 12 29 FEB ? *)');
    expect(runs(leapDay, '2026-01-01T00:00:00Z', 2)).toEqual([
      '2028-02-29T12:00:00.000Z',
      '2032-02-29T12:00:00.000Z',
    ]);
    expect(runs(leapDay, '2096-03-01T00:00:00Z', 1)).toEqual(['2104-02-29T12:00:00.000Z']);
    expect(runs(leapDay, '2000-01-01T00:00:00Z', 1)).toEqual(['2000-02-29T12:00:00.000Z']);
  });

  it('counts days of the week with 1 = SUN', () => {
    // 2026-02-27 is a Friday.
    expect(runs(cron('cron(0 9 ? * MON-FRI *)'), '2026-02-27T09:00:00Z', 3)).toEqual([
      '2026-03-02T09:00:00.000Z',
      '2026-03-03T09:00:00.000Z',
      '2026-03-04T09:00:00.000Z',
    ]);
    expect(runs(cron('cron(0 0 ? * 1 *)'), '2026-02-27T00:00:00Z', 1)).toEqual(['2026-03-01T00:00:00.000Z']);
  });

  it('runs on Feb 28 and Mar 1 back to back outside leap years', () => {
    expect(runs(cron('cron(0 0 1,28 * ? *)'), '2027-02-27T00:00:00Z', 2)).toEqual([
      '2027-02-28T00:00:00.000Z',
      '2027-03-01T00:00:00.000Z',
    ]);
  });

  it('honours the year field and throws once the years are over', () => {
    const once = cron('cron(15 6 1 1 ? 2030)');
    expect(runs(once, '2026-02-27T00:00:00Z', 1)).toEqual(['2030-01-01T06:15:00.000Z']);
    expect(() => nextRun(once, new Date('2030-01-01T06:15:00Z'))).toThrow(
      /has no run after 2030-01-01T06:15:00/,
    );
    expect(() => nextRun(once, new Date('2030-01-01T06:15:00Z'))).toThrow(ScheduleExpressionError);
  });

  it('runs at the last minute the calendar allows', () => {
    expect(runs(cron('cron(59 23 31 DEC ? *)'), '2199-06-01T00:00:00Z', 1)).toEqual([
      '2199-12-31T23:59:00.000Z',
    ]);
    expect(() => nextRun(cron('cron(59 23 31 DEC ? *)'), new Date('2199-12-31T23:59:00Z'))).toThrow(
      ScheduleExpressionError,
    );
  });
});

describe('minimumIntervalMs', () => {
  it.each([
    ['rate(1 minute)', MIN],
    ['rate(2 days)', 2 * DAY],
    ['cron(* * * * ? *)', MIN],
    ['cron(0/20 * * * ? *)', 20 * MIN],
    ['cron(0 3 * * ? *)', DAY],
    ['cron(30 3,22 * * ? *)', 5 * HOUR],
    ['cron(0 0 ? * MON,WED,FRI *)', 2 * DAY],
    ['cron(0 0 1,28 * ? *)', DAY],
    ['cron(0 0 1 * ? *)', 28 * DAY],
    ['cron(0 0 29 2 ? *)', 1461 * DAY],
    ['cron(0 0 1 1 ? 2030)', Number.POSITIVE_INFINITY],
  ])('%s → %d ms', (expr, ms) => {
    expect(minimumIntervalMs(parseScheduleExpression(expr))).toBe(ms);
  });
});
