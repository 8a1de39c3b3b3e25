import { mapLimit } from '../map-limit.ts';
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
export function isArchived(
  item: { readonly attempt?: string } | undefined,
  attempt: AttemptItem | undefined,
): boolean {
  return item !== undefined && attempt?.state === 'done' && attempt.id === item.attempt;
}

/**
 * Whether a listing or a restore should count a ledger item as stored. A member's item is written
 * when it is claimed, before its archive exists, so an item whose attempt is still writing, or
 * failed and awaits a retry, is not in any archive yet. An attempt item is removed a day after its
 * attempt ended (DynamoDB TTL), so an item whose attempt is gone was settled long ago: counted,
 * and a restore still proves it against its archive.
 */
export function isSettled(attempt: AttemptItem | undefined): boolean {
  return attempt === undefined || attempt.state === 'done';
}

/** Reads each distinct attempt once, at most `limit` at a time. */
const ATTEMPT_READS = 16;

/** The ledger items whose attempt is settled (see {@link isSettled}): what is archived, in order. */
export async function settledItems(deps: LedgerDeps, items: readonly MemberItem[]): Promise<MemberItem[]> {
  const attempts = [...new Set(items.flatMap((i) => (i.attempt ? [i.attempt] : [])))];
  const settled = new Set<string>();
  await mapLimit(attempts, ATTEMPT_READS, async (id) => {
    if (isSettled(await getAttempt(deps, id))) settled.add(id);
  });
  // A member read through a pack entry has no attempt: entries are written once the pack is verified.
  return items.filter((i) => i.attempt === undefined || settled.has(i.attempt));
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
      if (!doneAttempts.has(item.attempt)) {
        if (!isArchived(item, await getAttempt(deps, item.attempt))) continue;
        doneAttempts.add(item.attempt);
      }
      archives.add(item.archive);
      pending.delete(id);
    }
    opts.onProgress?.(ids.length - pending.size, ids.length);
    if (pending.size === 0 || now() >= deadline) break;
    await sleep(Math.min(opts.intervalMs ?? 1_000, Math.max(0, deadline - now())));
  }
  return { total: ids.length, pending: [...pending], archives: [...archives].sort() };
}
