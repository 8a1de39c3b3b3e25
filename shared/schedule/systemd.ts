import {
  CRON_YEARS,
  type CronSchedule,
  type RateSchedule,
  type Schedule,
  ScheduleExpressionError,
} from './expression.ts';

/** The `[Timer]` settings that make a systemd timer follow a schedule. */
export interface SystemdTimerSpec {
  OnCalendar?: string;
  OnUnitActiveSec?: string;
  OnBootSec?: string;
}

// A rate's first run would otherwise wait a whole interval after boot: with rate(2 days) a short-lived
// instance would never ship anything. The shipper skips unchanged files, so an early run costs little.
const MAX_FIRST_RUN_MS = 5 * 60_000;

/**
 * Translates a schedule into systemd timer settings, in UTC.
 * - rate: `OnBootSec` (at most 5 minutes, so short-lived instances ship too) + `OnUnitActiveSec`.
 * - cron: one `OnCalendar` expression, e.g. `*-*-* 03:00:00 UTC`.
 * @throws ScheduleExpressionError for a schedule systemd cannot follow.
 */
export function toSystemdTimer(schedule: Schedule): SystemdTimerSpec {
  return schedule.kind === 'rate' ? rateTimer(schedule) : { OnCalendar: onCalendar(schedule) };
}

function rateTimer(schedule: RateSchedule): SystemdTimerSpec {
  const { intervalMs } = schedule;
  if (!Number.isSafeInteger(intervalMs) || intervalMs <= 0 || intervalMs % 60_000 !== 0) {
    throw new ScheduleExpressionError(`${schedule.expression}: a timer interval must be whole minutes`);
  }
  return {
    OnBootSec: timespan(Math.min(intervalMs, MAX_FIRST_RUN_MS)),
    OnUnitActiveSec: timespan(intervalMs),
  };
}

/** systemd time span in the largest unit that divides it: `2d`, `1h`, `90min`. */
function timespan(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes % 60 === 0) return `${minutes / 60}h`;
  return `${minutes}min`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function onCalendar(s: CronSchedule): string {
  // systemd requires the weekday AND the date to match, whereas AWS lets only one of them constrain
  // the day; with both set the two would disagree, so refuse rather than run on fewer days.
  if (s.daysOfMonth && s.daysOfWeek) {
    throw new ScheduleExpressionError(`${s.expression}: day-of-month and day-of-week cannot both be set`);
  }
  const pad = (width: number) => (v: number) => String(v).padStart(width, '0');
  const date = [
    component(s.years, CRON_YEARS.min, CRON_YEARS.max, pad(4)),
    component(s.months, 1, 12, pad(2)),
    s.daysOfMonth ? component(s.daysOfMonth, 1, 31, pad(2)) : '*',
  ].join('-');
  const time = `${component(s.hours, 0, 23, pad(2))}:${component(s.minutes, 0, 59, pad(2))}:00`;
  // AWS numbers days of the week from 1 = SUN.
  const weekdays = s.daysOfWeek ? component(s.daysOfWeek, 1, 7, (d) => WEEKDAYS[d - 1] ?? '') : '*';
  return `${weekdays === '*' ? '' : `${weekdays} `}${date} ${time} UTC`;
}

/**
 * One calendar component: `*` for every value, otherwise a list with `a..b` ranges. Repetitions
 * (`start/step`) are never produced: systemd 252, as on Amazon Linux 2023, skips the first match of a
 * day repetition after a year rollover (`*-*-01/7` goes from Dec 29 to Jan 8).
 */
function component(
  given: readonly number[],
  min: number,
  max: number,
  format: (v: number) => string,
): string {
  const values = [...new Set(given)].sort((a, b) => a - b);
  if (values.length === 0) throw new ScheduleExpressionError('a schedule field has no values');
  for (const v of values) {
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new ScheduleExpressionError(`value ${v} is out of range ${min}-${max}`);
    }
  }
  if (values.length === max - min + 1) return '*';
  return runs(values)
    .map(([a, b]) =>
      a === b ? format(a) : b - a === 1 ? `${format(a)},${format(b)}` : `${format(a)}..${format(b)}`,
    )
    .join(',');
}

/** Sorted values as [first, last] runs of consecutive numbers. */
function runs(values: readonly number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const v of values) {
    const last = out.at(-1);
    if (last && v === last[1] + 1) last[1] = v;
    else out.push([v, v]);
  }
  return out;
}
