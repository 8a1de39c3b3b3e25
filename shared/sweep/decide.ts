/** What one HEAD of an archive's current version says, as far as the sweeper cares. */
export interface ArchiveHead {
  readonly exists: boolean;
  readonly versionId?: string;
  readonly size?: number;
  /** `lv-expires` metadata: ISO instant or `never`; undefined when the object is not a logvault archive. */
  readonly expires?: string;
  readonly legalHold?: boolean;
  readonly lockUntil?: Date;
}

export type Decision =
  | { readonly action: 'delete' }
  /** The archive is already gone; only its index entry is left to remove. */
  | { readonly action: 'missing' }
  | { readonly action: 'held' }
  | { readonly action: 'locked'; readonly until: Date }
  | { readonly action: 'not-expired'; readonly until?: Date };

/**
 * Decides one candidate from a fresh HEAD, never from the key layout: a legal hold, an Object Lock
 * retention still running, or metadata that does not say "expired by now" each keep the object.
 * Anything unreadable keeps it too: the sweeper only deletes what positively says it may go.
 */
export function decide(head: ArchiveHead, now: Date): Decision {
  if (!head.exists) return { action: 'missing' };
  if (head.legalHold) return { action: 'held' };
  if (head.lockUntil && head.lockUntil.getTime() > now.getTime())
    return { action: 'locked', until: head.lockUntil };
  if (head.expires === undefined || head.expires === 'never') return { action: 'not-expired' };
  const expires = Date.parse(head.expires);
  if (Number.isNaN(expires)) return { action: 'not-expired' };
  if (expires > now.getTime()) return { action: 'not-expired', until: new Date(expires) };
  if (!head.versionId) return { action: 'not-expired' };
  return { action: 'delete' };
}

/**
 * True when this run's clock reads earlier than the last run's: a clock gone backwards (or a
 * replayed `--now`) could make unexpired objects look expired to the last run's state, so the
 * run refuses to delete.
 */
export function clockWentBack(now: Date, lastRunAt: string | undefined): boolean {
  if (!lastRunAt) return false;
  const last = Date.parse(lastRunAt);
  return !Number.isNaN(last) && now.getTime() < last;
}
