import * as z from 'zod';

/**
 * EventBridge schedule expressions, as AWS writes them:
 *
 *   rate(1 minute)  rate(5 minutes)  rate(1 hour)  rate(2 days)
 *   cron(minutes hours day-of-month month day-of-week year)
 *
 * All times are UTC. Cron fields accept `*`, lists, ranges and `/` steps; months take JAN-DEC, days of
 * the week take SUN-SAT or 1-7 with 1 = SUN, and exactly one of day-of-month and day-of-week is `?`.
 * `L`, `W` and `#` are refused: nothing downstream (systemd timers in particular) can express them.
 */

/** A schedule expression is malformed, or asks for something logvault cannot run. */
export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

export type RateUnit = 'minute' | 'hour' | 'day';

/** `rate(value unit)`: every `intervalMs`, counted from when the schedule started. */
export interface RateSchedule {
  readonly kind: 'rate';
  /** The expression with its spacing normalised, safe to print on one line. */
  readonly expression: string;
  readonly value: number;
  readonly unit: RateUnit;
  readonly intervalMs: number;
}

/**
 * `cron(...)` with every field expanded to its sorted values. `daysOfMonth` or `daysOfWeek` is
 * `null` where the expression has `?`. Days of the week keep AWS numbering: 1 = SUN ... 7 = SAT.
 */
export interface CronSchedule {
  readonly kind: 'cron';
  /** The expression with its spacing normalised, safe to print on one line. */
  readonly expression: string;
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[] | null;
  readonly months: readonly number[];
  readonly daysOfWeek: readonly number[] | null;
  readonly years: readonly number[];
}

export type Schedule = RateSchedule | CronSchedule;

const MINUTE_MS = 60_000;
const UNIT_MS: Record<RateUnit, number> = {
  minute: MINUTE_MS,
  hour: 60 * MINUTE_MS,
  day: 24 * 60 * MINUTE_MS,
};
// Large enough for any real backup cadence, small enough that date arithmetic stays exact.
const MAX_RATE_VALUE = 1_000_000;

/** Years EventBridge accepts in the cron year field. */
export const CRON_YEARS = { min: 1970, max: 2199 } as const;

interface FieldSpec {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** What an `L`, `W` or `#` would have meant, for the refusal message. */
  readonly special?: string;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS = {
  minutes: { label: 'minutes', min: 0, max: 59 },
  hours: { label: 'hours', min: 0, max: 23 },
  daysOfMonth: { label: 'day-of-month', min: 1, max: 31, special: "'L' (last day) and 'W' (weekday)" },
  months: { label: 'month', min: 1, max: 12, names: MONTH_NAMES },
  daysOfWeek: { label: 'day-of-week', min: 1, max: 7, names: DAY_NAMES, special: "'L' (last) and '#' (nth)" },
  years: { label: 'year', min: CRON_YEARS.min, max: CRON_YEARS.max },
} satisfies Record<string, FieldSpec>;

/**
 * Parses an EventBridge `rate(...)` or `cron(...)` expression.
 * @param field names the setting in error messages, e.g. `backupFrequency`.
 * @throws ScheduleExpressionError naming the problem.
 */
export function parseScheduleExpression(expr: string, field?: string): Schedule {
  const fail = (problem: string): never => {
    throw new ScheduleExpressionError(`${field ? `${field}: ` : ''}${problem} (got ${JSON.stringify(expr)})`);
  };
  const text = expr.trim();
  const call = /^(rate|cron)\((.*)\)$/s.exec(text);
  if (!call) {
    return fail('expected rate(value unit) or cron(minutes hours day-of-month month day-of-week year)');
  }
  const body = (call[2] ?? '').trim();
  try {
    return call[1] === 'rate' ? parseRate(body) : parseCron(body);
  } catch (error) {
    if (error instanceof FieldProblem) return fail(error.message);
    throw error;
  }
}

// Thrown inside the parser and rewrapped once, so every message gets the field name and expression.
class FieldProblem extends Error {}

function parseRate(body: string): RateSchedule {
  const parts = /^(\S+)\s+(\S+)$/.exec(body);
  if (!parts) throw new FieldProblem('rate needs a value and a unit, e.g. rate(5 minutes)');
  const [, rawValue = '', rawUnit = ''] = parts;
  if (!/^\d+$/.test(rawValue)) throw new FieldProblem('rate value must be a whole number');
  const value = Number(rawValue);
  if (value < 1 || value > MAX_RATE_VALUE) {
    throw new FieldProblem(`rate value must be from 1 to ${MAX_RATE_VALUE}`);
  }
  const unit = rawUnit.replace(/s$/, '');
  if (unit !== 'minute' && unit !== 'hour' && unit !== 'day') {
    throw new FieldProblem(`rate unit must be minute(s), hour(s) or day(s), not "${rawUnit}"`);
  }
  // AWS insists on the singular for 1 and the plural otherwise; accepting both would let a typo through.
  const plural = rawUnit.endsWith('s');
  if (value === 1 && plural) throw new FieldProblem(`rate unit must be "${unit}" when the value is 1`);
  if (value !== 1 && !plural) throw new FieldProblem(`rate unit must be "${unit}s" when the value is not 1`);
  const expression = `rate(${value} ${rawUnit})`;
  return { kind: 'rate', expression, value, unit, intervalMs: value * UNIT_MS[unit] };
}

function parseCron(body: string): CronSchedule {
  const parts = body.split(/\s+/);
  if (parts.length !== 6) {
    throw new FieldProblem(
      `cron needs 6 fields (minutes hours day-of-month month day-of-week year), found ${body ? parts.length : 0}`,
    );
  }
  const [min = '', hour = '', dom = '', month = '', dow = '', year = ''] = parts;
  if ((dom === '?') === (dow === '?')) {
    throw new FieldProblem("exactly one of day-of-month and day-of-week must be '?'");
  }
  const schedule: CronSchedule = {
    kind: 'cron',
    expression: `cron(${parts.join(' ')})`,
    minutes: parseField(min, FIELDS.minutes),
    hours: parseField(hour, FIELDS.hours),
    daysOfMonth: dom === '?' ? null : parseField(dom, FIELDS.daysOfMonth),
    months: parseField(month, FIELDS.months),
    daysOfWeek: dow === '?' ? null : parseField(dow, FIELDS.daysOfWeek),
    years: parseField(year, FIELDS.years),
  };
  // e.g. cron(0 0 30 FEB ? *): valid field by field, yet it would never run.
  if (firstCronRun(schedule, Date.UTC(CRON_YEARS.min, 0, 1)) === undefined) {
    throw new FieldProblem('cron never matches a date (check day-of-month against month and year)');
  }
  return schedule;
}

function parseField(text: string, spec: FieldSpec): number[] {
  if (text === '?') throw new FieldProblem(`'?' is allowed only in day-of-month or day-of-week`);
  const values = new Set<number>();
  for (const item of text.split(',')) {
    if (item === '') throw new FieldProblem(`${spec.label} has an empty list item in "${text}"`);
    if (spec.special && /[LW#]/i.test(withoutNames(item, spec))) {
      throw new FieldProblem(`${spec.label} ${spec.special} are not supported ("${item}")`);
    }
    const [range = '', step, ...extra] = item.split('/');
    if (extra.length > 0) throw new FieldProblem(`${spec.label} "${item}" has more than one '/'`);
    let [from, to] = [spec.min, spec.max];
    if (range !== '*') {
      const [a = '', b, ...more] = range.split('-');
      if (more.length > 0) throw new FieldProblem(`${spec.label} "${item}" is not a value or a range`);
      from = parseValue(a, spec);
      to = b === undefined ? (step === undefined ? from : spec.max) : parseValue(b, spec);
      if (to < from) {
        throw new FieldProblem(
          `${spec.label} range "${range}" runs backwards; list it as two ranges instead`,
        );
      }
    }
    const by = step === undefined ? 1 : parseStep(step, item, spec);
    for (let v = from; v <= to; v += by) values.add(v);
  }
  return [...values].sort((x, y) => x - y);
}

// Day names such as WED contain the letters of the refused specials, so look past them.
function withoutNames(item: string, spec: FieldSpec): string {
  return (spec.names ?? []).reduce((rest, name) => rest.replaceAll(name, ''), item.toUpperCase());
}

function parseValue(text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(text)) {
    const hint = spec.names ? `, ${spec.names[0]}-${spec.names.at(-1)}` : '';
    throw new FieldProblem(`${spec.label} "${text}" is not a number from ${spec.min} to ${spec.max}${hint}`);
  }
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new FieldProblem(`${spec.label} ${value} is out of range ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseStep(text: string, item: string, spec: FieldSpec): number {
  const span = spec.max - spec.min + 1;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > span) {
    throw new FieldProblem(`${spec.label} step in "${item}" must be a whole number from 1 to ${span}`);
  }
  return Number(text);
}

/** Zod check for request fields that hold a schedule expression; the issue message names the problem. */
export const scheduleExpressionSchema = z.string().superRefine((value, ctx) => {
  try {
    parseScheduleExpression(value);
  } catch (error) {
    if (!(error instanceof ScheduleExpressionError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message, input: value });
  }
});

/**
 * The first run strictly after `after`.
 * A rate has no calendar of its own: it runs at `anchor + k * interval` for k >= 1, where `anchor` is
 * when the schedule started (EventBridge counts from rule creation). The default anchor, the Unix
 * epoch, gives runs aligned to whole intervals, which is what a caller without a start time wants.
 * @throws ScheduleExpressionError when a cron schedule has no run left (its years are over).
 */
export function nextRun(schedule: Schedule, after: Date, opts: { anchor?: Date } = {}): Date {
  const afterMs = after.getTime();
  if (Number.isNaN(afterMs)) throw new RangeError('nextRun: `after` is an invalid Date');
  if (schedule.kind === 'rate') {
    const anchor = opts.anchor?.getTime() ?? 0;
    const k = Math.max(1, Math.floor((afterMs - anchor) / schedule.intervalMs) + 1);
    return new Date(anchor + k * schedule.intervalMs);
  }
  // Cron runs on whole minutes; the next candidate is the first whole minute after `after`.
  const next = firstCronRun(schedule, Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
  if (next === undefined) {
    throw new ScheduleExpressionError(`${schedule.expression} has no run after ${after.toISOString()}`);
  }
  return new Date(next);
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function dayMatches(s: CronSchedule, year: number, month: number, day: number): boolean {
  if (s.daysOfMonth) return s.daysOfMonth.includes(day);
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;
  return s.daysOfWeek?.includes(weekday) ?? false;
}

/** The smallest value in `sorted` that is >= `from`. */
function atLeast(sorted: readonly number[], from: number): number | undefined {
  return sorted.find((v) => v >= from);
}

/** First matching minute at or after `fromMs` (a whole minute), or undefined past the last year. */
function firstCronRun(s: CronSchedule, fromMs: number): number | undefined {
  const start = new Date(fromMs);
  let [year, month, day] = [start.getUTCFullYear(), start.getUTCMonth() + 1, start.getUTCDate()];
  let [hour, minute] = [start.getUTCHours(), start.getUTCMinutes()];
  // Each step either matches or moves to the start of the next candidate unit, so this ends within
  // one pass over the remaining days up to the last allowed year.
  while (year <= CRON_YEARS.max) {
    const y = atLeast(s.years, year);
    if (y === undefined) return undefined;
    if (y !== year) [year, month, day, hour, minute] = [y, 1, 1, 0, 0];
    const m = atLeast(s.months, month);
    if (m === undefined) {
      [year, month, day, hour, minute] = [year + 1, 1, 1, 0, 0];
      continue;
    }
    if (m !== month) [month, day, hour, minute] = [m, 1, 0, 0];
    if (day > daysInMonth(year, month)) {
      [month, day, hour, minute] = [month + 1, 1, 0, 0];
      if (month > 12) [year, month] = [year + 1, 1];
      continue;
    }
    if (!dayMatches(s, year, month, day)) {
      [day, hour, minute] = [day + 1, 0, 0];
      continue;
    }
    const h = atLeast(s.hours, hour);
    if (h === undefined) {
      [day, hour, minute] = [day + 1, 0, 0];
      continue;
    }
    if (h !== hour) [hour, minute] = [h, 0];
    const min = atLeast(s.minutes, minute);
    if (min === undefined) {
      [hour, minute] = [hour + 1, 0];
      continue;
    }
    return Date.UTC(year, month - 1, day, hour, min);
  }
  return undefined;
}

/**
 * The shortest gap between two consecutive runs, in ms; `Infinity` for a schedule that runs once.
 * Useful to bound jitter or refuse schedules that run too often.
 */
export function minimumIntervalMs(schedule: Schedule): number {
  if (schedule.kind === 'rate') return schedule.intervalMs;
  // Every matching day runs at the same times, so the gap is either between two times of one day or
  // from the last time of one matching day to the first time of the next.
  const times = schedule.hours.flatMap((h) => schedule.minutes.map((m) => h * 60 + m));
  let best = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) best = Math.min(best, (times[i] ?? 0) - (times[i - 1] ?? 0));
  const dayGap = shortestDayGap(schedule);
  const first = times[0] ?? 0;
  const last = times.at(-1) ?? 0;
  best = Math.min(best, dayGap * 24 * 60 - last + first);
  return best * MINUTE_MS;
}

// The Gregorian calendar's days, weekdays and leap years repeat every 28 years between 1901 and
// 2099, so scanning 28 years from the first allowed year sees every gap between matching days.
function shortestDayGap(s: CronSchedule): number {
  const DAY_MS = 24 * 60 * MINUTE_MS;
  const firstYear = s.years[0] ?? CRON_YEARS.min;
  let previous: number | undefined;
  let best = Number.POSITIVE_INFINITY;
  for (const year of s.years) {
    if (year > firstYear + 28) break;
    for (const month of s.months) {
      for (let day = 1; day <= daysInMonth(year, month); day++) {
        if (!dayMatches(s, year, month, day)) continue;
        const index = Date.UTC(year, month - 1, day) / DAY_MS;
        if (previous !== undefined) best = Math.min(best, index - previous);
        previous = index;
      }
    }
  }
  return best;
}
