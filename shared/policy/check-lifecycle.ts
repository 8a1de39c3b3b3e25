import { longestRetentionDays, retentionField, shortestRetentionDays } from './effective-retention.ts';
import type { PolicyIssue } from './errors.ts';
import type { Policy } from './schema.ts';
import {
  coldness,
  INFREQUENT_ACCESS_MIN_DAYS,
  isInfrequentAccess,
  minimumStorageDays,
  STORAGE_CLASSES,
} from './storage-classes.ts';

/**
 * Transitions must be ones S3 lifecycle accepts and that make sense: later each time, always to a
 * colder class, never into IA before day 30, and never out of IA less than 30 days after entering it.
 * The write-time class counts as entered on day 0.
 */
export function checkTransitions(policy: Policy, at: string): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  let previous = { class: policy.storage.class, day: 0, path: `${at}.storage.class` };
  policy.storage.transitions.forEach((t, j) => {
    const path = `${at}.storage.transitions[${j}]`;
    if (isInfrequentAccess(t.class) && t.days < INFREQUENT_ACCESS_MIN_DAYS) {
      issues.push({
        path: `${path}.days`,
        rule: `a transition to ${t.class} must be at day ${INFREQUENT_ACCESS_MIN_DAYS} or later (S3 minimum)`,
      });
    }
    if (j > 0 && t.days <= previous.day) {
      issues.push({
        path: `${path}.days`,
        rule: `must be later than the previous transition (day ${previous.day})`,
      });
    }
    if (coldness(t.class) <= coldness(previous.class)) {
      issues.push({
        path: `${path}.class`,
        rule: `must be colder than ${previous.class} (${previous.path}); order is ${STORAGE_CLASSES.join(' < ')}`,
      });
    }
    if (isInfrequentAccess(previous.class) && t.days - previous.day < INFREQUENT_ACCESS_MIN_DAYS) {
      issues.push({
        path: `${path}.days`,
        rule:
          `must be at least ${INFREQUENT_ACCESS_MIN_DAYS} days after the object enters ${previous.class} ` +
          `(day ${previous.day}), so at day ${previous.day + INFREQUENT_ACCESS_MIN_DAYS} or later`,
      });
    }
    previous = { class: t.class, day: t.days, path };
  });
  return issues;
}

/**
 * Retention must outlast the minimum storage duration of the class objects end up in, or S3 bills
 * for days the object no longer exists; a policy may accept that with `acknowledgeEarlyDeletion`.
 */
export function checkEarlyDeletion(policy: Policy, at: string): PolicyIssue[] {
  if (policy.acknowledgeEarlyDeletion) return [];
  const retained = longestRetentionDays(policy.retention);
  if (retained === undefined) return [];
  const last = policy.storage.transitions.at(-1) ?? { class: policy.storage.class, days: 0 };
  const needed = last.days + minimumStorageDays(last.class);
  if (retained >= needed) return [];
  return [
    {
      path: `${at}.${retentionField(policy.retention)}`,
      rule:
        `keeps objects ${retained} days, but they reach ${last.class} on day ${last.days} and S3 bills ` +
        `${minimumStorageDays(last.class)} days there, so retention must be at least ${needed} days ` +
        '(or set acknowledgeEarlyDeletion: true)',
    },
  ];
}

/** An object lock that outlives retention would leave an expired archive the sweeper can never delete. */
export function checkObjectLock(policy: Policy, at: string): PolicyIssue[] {
  const lock = policy.objectLock;
  const retained = shortestRetentionDays(policy.retention);
  if (!lock || retained === undefined || lock.days <= retained) return [];
  return [
    {
      path: `${at}.objectLock.days`,
      rule: `must not exceed the ${retained} days objects are retained (${'gfs' in policy.retention ? 'retention.gfs.dailyDays' : 'retention.days'}); a lock that outlives its retention can never be swept`,
    },
  ];
}
