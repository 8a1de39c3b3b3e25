import { describe, expect, it } from 'vitest';
import { CliError } from '#cli/errors.ts';
import { parseInstant, parseRange, readInstant } from '#cli/instants.ts';

const usage = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    return (error as CliError).message;
  }
  throw new Error('expected a usage error');
};

describe('parseInstant', () => {
  it('reads a date alone as midnight UTC, whatever the machine zone', () => {
    expect(parseInstant('2026-02-03', '--from')?.toISOString()).toBe('2026-02-03T00:00:00.000Z');
  });

  it('reads a time without a zone in UTC, and honours a zone when one is given', () => {
    expect(parseInstant('2026-02-03T10:30', '--from')?.toISOString()).toBe('2026-02-03T10:30:00.000Z');
    expect(parseInstant('2026-02-03 10:30:15.5', '--from')?.toISOString()).toBe('2026-02-03T10:30:15.500Z');
    expect(parseInstant('2026-02-03T10:30:00+02:00', '--from')?.toISOString()).toBe(
      '2026-02-03T08:30:00.000Z',
    );
    expect(parseInstant('2026-02-03T10:30:00-0130', '--from')?.toISOString()).toBe(
      '2026-02-03T12:00:00.000Z',
    );
    expect(parseInstant('2026-02-03T10:30:00Z', '--from')?.toISOString()).toBe('2026-02-03T10:30:00.000Z');
  });

  it('accepts only days the calendar has', () => {
    expect(parseInstant('2024-02-29', '--to')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(usage(() => parseInstant('2026-02-30', '--from'))).toBe(
      '--from "2026-02-30": 2026-02 has no day 30 (it has 28 days)',
    );
    expect(usage(() => parseInstant('2026-02-29', '--from'))).toContain('has no day 29');
    expect(usage(() => parseInstant('2026-13-01', '--from'))).toContain('month 13 does not exist');
    expect(usage(() => parseInstant('2026-04-31', '--now'))).toMatch(/^--now .*has no day 31/);
  });

  it('refuses times that are not on a clock, and zones that are not offsets', () => {
    expect(usage(() => parseInstant('2026-02-03T24:00', '--from'))).toContain('is not a time of day');
    expect(usage(() => parseInstant('2026-02-03T10:60', '--from'))).toContain('is not a time of day');
    expect(usage(() => parseInstant('2026-02-03T10:00+25:00', '--from'))).toContain('not a time zone offset');
  });

  it('refuses other formats and says which ones it reads', () => {
    for (const text of ['yesterday', '2026-2-3', '03/02/2026', '2026-02-03T10', '1767225600', '']) {
      expect(usage(() => parseInstant(text, '--from'))).toContain('YYYY-MM-DD');
    }
  });

  it('leaves an absent flag absent', () => {
    expect(parseInstant(undefined, '--from')).toBeUndefined();
  });

  it('tells a date alone from a date and time', () => {
    expect(readInstant('2026-02-03')).toMatchObject({ dayOnly: true });
    expect(readInstant('2026-02-03T00:00')).toMatchObject({ dayOnly: false });
  });
});

describe('parseRange', () => {
  it('reads a date alone in --to as the end of that UTC day, so one date is a whole day', () => {
    const range = parseRange({ from: '2026-02-03', to: '2026-02-03' });
    expect(range.from?.toISOString()).toBe('2026-02-03T00:00:00.000Z');
    expect(range.to?.toISOString()).toBe('2026-02-03T23:59:59.999Z');
  });

  it('keeps a --to with a time as given', () => {
    expect(parseRange({ to: '2026-02-03T12:00' }).to?.toISOString()).toBe('2026-02-03T12:00:00.000Z');
  });

  it('refuses a range that ends before it starts, as bad usage', () => {
    expect(usage(() => parseRange({ from: '2026-02-01', to: '2026-01-31' }))).toBe(
      '--to 2026-01-31 is before --from 2026-02-01: the range is empty (both ends are inclusive)',
    );
    expect(usage(() => parseRange({ from: '2026-02-01T10:00', to: '2026-02-01T09:59' }))).toContain('empty');
  });

  it('allows either end open, and names the flag of a bad end', () => {
    expect(parseRange({})).toEqual({});
    expect(parseRange({ from: '2026-02-01' }).to).toBeUndefined();
    expect(usage(() => parseRange({ from: '2026-02-01', to: '2026-02-30' }))).toMatch(/^--to "2026-02-30"/);
  });
});
