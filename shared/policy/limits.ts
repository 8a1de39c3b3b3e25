/**
 * The largest numbers a policy may hold. Each bound is what S3 or a date can carry, so that a
 * policy `check` accepts is one every archive can be written under and every expiry computed for.
 */

/**
 * The longest span, in days, that a retention or a transition may name: under 1,000 years. Expiry
 * dates are stored and indexed as ISO 8601 (`toISOString`), whose four-digit years end at 9999, and
 * a JavaScript Date ends 100,000,000 days after 1970; 1,000 years keeps an archive written before
 * the year 8999 within both. S3 lifecycle takes `Days` as a 32-bit integer, far above this.
 */
export const MAX_POLICY_DAYS = 365_000;
/** {@link MAX_POLICY_DAYS} in whole weeks, for GFS weeklies. */
export const MAX_POLICY_WEEKS = Math.floor(MAX_POLICY_DAYS / 7);
/** 1,000 years of calendar months, for GFS monthlies. */
export const MAX_POLICY_MONTHS = 12_000;

/**
 * S3 Object Lock's longest retention period: 100 years (S3 User Guide, "Setting retention
 * limits"), counted as 365-day years as the console and bucket defaults count them.
 */
export const MAX_OBJECT_LOCK_DAYS = 36_500;

/** Priorities only order policies; a bound keeps them exact and readable. */
export const MAX_PRIORITY = 1_000_000;
