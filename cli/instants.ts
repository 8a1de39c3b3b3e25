import { usageError } from './errors.ts';

/** What `--from`, `--to` and `--now` accept, for help texts and error messages. */
export const INSTANT_FORMATS =
  'YYYY-MM-DD, YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS[.mmm], each optionally ending in Z or ±HH:MM; without a zone, UTC';

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DAY_MS = 86_400_000;

/** A parsed instant, and whether it was a date alone (a whole UTC day). */
export interface ParsedInstant {
  readonly date: Date;
  readonly dayOnly: boolean;
}

function zoneOffsetMinutes(zone: string | undefined): number | undefined {
  if (zone === undefined || zone === 'Z') return 0;
  const digits = zone.replace(':', '');
  const hours = Number(digits.slice(1, 3));
  const minutes = Number(digits.slice(3, 5));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * Parses an ISO 8601 date or date-time strictly: the calendar date must exist (2026-02-30 does
 * not), the time must be on a clock, and a time without a zone is read in UTC, never in the
 * machine's zone. Answers a sentence saying what is wrong instead of a date when it is not one.
 */
export function readInstant(text: string): ParsedInstant | string {
  const m = PATTERN.exec(text.trim());
  if (!m) return `not a date or time in a format logvault reads (${INSTANT_FORMATS})`;
  const [, y, mo, d, h, mi, s, ms, zone] = m;
  const [year, month, day] = [Number(y), Number(mo), Number(d)];
  const [hour, minute, second] = [Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0)];
  if (month < 1 || month > 12) return `month ${mo} does not exist`;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) return `${y}-${mo} has no day ${d} (it has ${daysInMonth} days)`;
  if (hour > 23 || minute > 59 || second > 59) return `${h}:${mi}${s ? `:${s}` : ''} is not a time of day`;
  const offset = zoneOffsetMinutes(zone);
  if (offset === undefined) return `${zone} is not a time zone offset`;
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, Number((ms ?? '0').padEnd(3, '0')));
  return { date: new Date(utc.getTime() - offset * 60_000), dayOnly: h === undefined };
}

/** `--flag VALUE` as a Date; a usage error (exit 2) naming the flag when it is not a real instant. */
export function parseInstant(value: string | undefined, flag: string): Date | undefined {
  if (value === undefined) return undefined;
  const parsed = readInstant(value);
  if (typeof parsed === 'string') throw usageError(`${flag} ${JSON.stringify(value)}: ${parsed}`);
  return parsed.date;
}

/** An inclusive time range; either end may be open. */
export interface InstantRange {
  readonly from?: Date;
  readonly to?: Date;
}

/**
 * `--from` and `--to` as an inclusive range. A date alone in `--to` means through the end of that
 * UTC day, so `--from 2026-02-01 --to 2026-02-01` is that whole day. A range that ends before it
 * starts holds nothing, and is refused as bad usage rather than answered with an empty list.
 */
export function parseRange(opts: { from?: string; to?: string }): InstantRange {
  const from = parseInstant(opts.from, '--from');
  let to: Date | undefined;
  if (opts.to !== undefined) {
    const parsed = readInstant(opts.to);
    if (typeof parsed === 'string') throw usageError(`--to ${JSON.stringify(opts.to)}: ${parsed}`);
    to = parsed.dayOnly ? new Date(parsed.date.getTime() + DAY_MS - 1) : parsed.date;
  }
  if (from && to && to < from) {
    throw usageError(
      `--to ${opts.to} is before --from ${opts.from}: the range is empty (both ends are inclusive)`,
    );
  }
  return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
}
