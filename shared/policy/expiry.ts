import { addUtcDays, addUtcMonths, assertValidDate, startOfUtcDay, utcDay } from './dates.ts';
import type { Policy, StorageClass } from './schema.ts';

/**
 * Below this size an object is always written STANDARD: IA and Glacier classes bill every object
 * as at least 128 KiB, and Glacier classes add 40 KiB of index overhead per object, so a small
 * object costs more there than in STANDARD.
 */
export const SMALL_OBJECT_BYTES = 128 * 1024;

/** The last UTC day a GFS rotation keeps an object archived on `day` (00:00Z). */
function gfsLastDay(gfs: { dailyDays: number; weeklyWeeks: number; monthlyMonths: number }, day: Date): Date {
  const horizons = [addUtcDays(day, gfs.dailyDays)];
  if (day.getUTCDay() === 0) horizons.push(addUtcDays(day, gfs.weeklyWeeks * 7));
  if (day.getUTCDate() === 1) horizons.push(addUtcMonths(day, gfs.monthlyMonths));
  return new Date(Math.max(...horizons.map((d) => d.getTime())));
}

/**
 * When an archive may be deleted, or `null` to keep it forever.
 *
 * Rule: take the UTC calendar day the object was archived on (D). The last retained day is
 * D + `days` (GFS: the latest of D + `dailyDays`; if D is a Sunday, D + 7 × `weeklyWeeks`; if D is
 * a 1st, D + `monthlyMonths` calendar months). The expiry is 00:00:00Z of the day after the last
 * retained day. This is S3 lifecycle's own rule (creation time + days, rounded up to the next
 * midnight UTC), so an archive is always kept at least `days` × 24 h and the sweeper never
 * deletes anything earlier than a lifecycle rule with the same days would.
 *
 * @throws RangeError for an invalid `archivedAt`, or one so late that its expiry is no date.
 */
export function computeExpiry(policy: Policy, archivedAt: Date): Date | null {
  assertValidDate(archivedAt, 'archivedAt');
  const { retention } = policy;
  if ('keepForever' in retention) return null;
  const day = startOfUtcDay(archivedAt);
  const lastDay = 'days' in retention ? addUtcDays(day, retention.days) : gfsLastDay(retention.gfs, day);
  const expiry = addUtcDays(lastDay, 1);
  assertValidDate(expiry, `the expiry of an archive written ${archivedAt.toISOString()}`);
  return expiry;
}

/**
 * The storage class to write an archive of this size in: the policy's class, except that objects
 * under {@link SMALL_OBJECT_BYTES} always go to STANDARD.
 *
 * @throws RangeError for a negative or non-finite size.
 */
export function storageClassAtWrite(policy: Policy, archivedSizeBytes: number): StorageClass {
  if (!Number.isFinite(archivedSizeBytes) || archivedSizeBytes < 0) {
    throw new RangeError(`archivedSizeBytes must be a non-negative number, got ${archivedSizeBytes}`);
  }
  return archivedSizeBytes < SMALL_OBJECT_BYTES ? 'STANDARD' : policy.storage.class;
}

/** `YYYY-MM-DD` (UTC) of a date, e.g. an expiry: the key of the day's expiry index. */
export function expiryDay(d: Date): string {
  return utcDay(d);
}
