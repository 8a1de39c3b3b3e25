import { fewestDaysInMonths } from './dates.ts';
import type { Retention } from './schema.ts';

/**
 * The fewest days the longest-kept objects of a policy are retained, or `undefined` for forever.
 * For GFS this is the longest horizon (usually the monthlies), measured in its shortest case so
 * that comparisons with S3's day-based minimums never overestimate.
 */
export function longestRetentionDays(retention: Retention): number | undefined {
  if ('keepForever' in retention) return undefined;
  if ('days' in retention) return retention.days;
  const { dailyDays, weeklyWeeks, monthlyMonths } = retention.gfs;
  return Math.max(dailyDays, weeklyWeeks * 7, fewestDaysInMonths(monthlyMonths));
}

/**
 * The fewest days any object of a policy is retained, or `undefined` for forever. For GFS that is
 * `dailyDays`: an object archived on neither a Sunday nor a 1st is a daily and nothing more.
 */
export function shortestRetentionDays(retention: Retention): number | undefined {
  if ('keepForever' in retention) return undefined;
  if ('days' in retention) return retention.days;
  return retention.gfs.dailyDays;
}

/** The JSON path, below `retention`, that sets the horizon {@link longestRetentionDays} measures. */
export function retentionField(retention: Retention): string {
  if ('days' in retention) return 'retention.days';
  if ('gfs' in retention) return 'retention.gfs';
  return 'retention';
}
