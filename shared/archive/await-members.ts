import {
  type AttemptItem,
  getAttempt,
  getMember,
  type LedgerDeps,
  type MemberItem,
} from './member-ledger.ts';

/**
 * Whether the ledger shows a member as archived: its item names an attempt that finished, and an
 * attempt reaches `done` only after its archive was uploaded and every member in it verified. A
 * claim whose attempt is still writing, failed (a retry will take it over) or is unknown is not
 * archived yet.
 */
export function isArchived(item: MemberItem | undefined, attempt: AttemptItem | undefined): boolean {
  return item !== undefined && attempt?.state === 'done' && attempt.id === item.attempt;
}

export interface MembersWait {
  readonly total: number;
  /** Ids the ledger does not show archived when the wait ended. */
  readonly pending: readonly string[];
  /** The archives holding the members that are archived. */
  readonly archives: readonly string[];
}

export interface AwaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
  readonly onProgress?: (archived: number, total: number) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/**
 * Polls the member ledger until every one of `ids` is archived, or the time is up; whatever is
 * still pending then is returned, not thrown, so the caller decides what a timeout means. Each
 * member is read until it is archived and never again; attempts are read once each.
 */
export async function awaitMembers(
  deps: LedgerDeps,
  ids: readonly string[],
  opts: AwaitOptions,
): Promise<MembersWait> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const deadline = now() + opts.timeoutMs;
  const pending = new Set(ids);
  const archives = new Set<string>();
  const doneAttempts = new Set<string>();
  for (;;) {
    for (const id of [...pending]) {
      const item = await getMember(deps, id);
      if (!item) continue;
      const attempt = doneAttempts.has(item.attempt)
        ? ({ id: item.attempt, state: 'done' } as AttemptItem)
        : await getAttempt(deps, item.attempt);
      if (!isArchived(item, attempt)) continue;
      doneAttempts.add(item.attempt);
      archives.add(item.archive);
      pending.delete(id);
    }
    opts.onProgress?.(ids.length - pending.size, ids.length);
    if (pending.size === 0 || now() >= deadline) break;
    await sleep(Math.min(opts.intervalMs ?? 1_000, Math.max(0, deadline - now())));
  }
  return { total: ids.length, pending: [...pending], archives: [...archives].sort() };
}
