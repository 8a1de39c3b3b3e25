const DAY_MS = 86_400_000;

/** Throws unless `d` is a real point in time, so an `Invalid Date` never turns into a `NaN` expiry. */
export function assertValidDate(d: Date, what = 'date'): void {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new RangeError(`${what} is not a valid Date`);
}

/** 00:00:00Z of the UTC calendar day `d` falls on. */
export function startOfUtcDay(d: Date): Date {
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
}

/** `d` moved by whole days; exact in UTC, which has no daylight-saving gaps. */
export function addUtcDays(d: Date, days: number): Date {
  return new Date(d.getTime() + days * DAY_MS);
}

/**
 * `d` moved by calendar months, keeping the time of day. A day that does not exist in the target
 * month is clamped to that month's last day (Jan 31 + 1 month = Feb 28, or Feb 29 in a leap year).
 */
export function addUtcMonths(d: Date, months: number): Date {
  const target = new Date(d.getTime());
  // Set day 1 first so that setUTCMonth cannot overflow into the month after the target.
  target.setUTCDate(1);
  target.setUTCMonth(d.getUTCMonth() + months);
  const daysInTarget = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), daysInTarget));
  return target;
}

// A common (non-leap) year: the shortest any run of months can be.
const COMMON_YEAR_MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

/**
 * The fewest days that `months` calendar months can span from the 1st of a month, whatever the
 * start. Used to compare month-based retention with day-based S3 minimums without ever
 * overestimating how long an object is kept.
 */
export function fewestDaysInMonths(months: number): number {
  const years = Math.floor(months / 12);
  const rest = months % 12;
  let fewest = rest === 0 ? 0 : Number.POSITIVE_INFINITY;
  for (let start = 0; start < 12 && rest > 0; start++) {
    let span = 0;
    for (let i = 0; i < rest; i++) span += COMMON_YEAR_MONTH_DAYS[(start + i) % 12] ?? 0;
    fewest = Math.min(fewest, span);
  }
  return years * 365 + fewest;
}

/** `YYYY-MM-DD` of the UTC calendar day `d` falls on. */
export function utcDay(d: Date): string {
  assertValidDate(d);
  return d.toISOString().slice(0, 10);
}
