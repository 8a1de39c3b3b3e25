import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isAwsError } from '../errors.ts';
import { mapLimit } from '../map-limit.ts';
import { expiryIndexKey } from './layout.ts';
import { entriesFor, recordEntries } from './ledger-entries.ts';
import {
  claimMember,
  claimOf,
  conflictDecision,
  getAttempt,
  getMember,
  type LedgerDeps,
  type MemberHolder,
  type MemberItem,
  memberItem,
  takeOverMember,
} from './member-ledger.ts';
import { parsePackKey } from './pack-format.ts';

export interface ClaimDeps {
  readonly ledger: LedgerDeps;
  readonly s3: S3Client;
  readonly archiveBucket: string;
  readonly now: () => Date;
  /** Aborts waiting for another attempt's lease (the invocation's deadline). */
  readonly signal?: AbortSignal;
  /** How often a live lease is looked at again while waiting for it. */
  readonly pollMs?: number;
  /**
   * Attempts of this caller's that ended before writing anything: taking their claims over needs
   * no look at their archive, which was never written.
   */
  readonly wroteNothing?: ReadonlySet<string>;
  /**
   * `claims` (packs): each member is claimed by a short-lived claim, its description left to the
   * pack's index; `members` (whole batches): by a member item that keeps its description.
   */
  readonly record: 'claims' | 'members';
}

/** A member to claim: its item, naming the attempt that claims it. */
export type ClaimRequest = MemberItem & { readonly attempt: string };

/** The {@link ClaimRequest} for a member that `where.attempt` stores in `where.archive`. */
export function claimRequest(
  member: Parameters<typeof memberItem>[0],
  where: Parameters<typeof memberItem>[1] & { attempt: string },
): ClaimRequest {
  return { ...memberItem(member, where), attempt: where.attempt };
}

export type ClaimOutcome =
  | { readonly outcome: 'claimed' }
  /** Stored already, in `archive`: settle, never store again. */
  | { readonly outcome: 'duplicate'; readonly archive: string }
  /**
   * Held by another attempt whose lease is live: left to it for now. The caller writes what it did
   * claim first and only then waits (see {@link waitForHolders}), so no two writers ever wait on
   * each other while holding claims.
   */
  | { readonly outcome: 'busy'; readonly attempt: string; readonly until: number }
  | { readonly outcome: 'failed'; readonly error: unknown };

const CONCURRENCY = 16;
const MAX_ROUNDS = 5;

/**
 * Whether an archive exists; when it does but its writer never marked the attempt done, it may
 * have died before indexing the archive's expiry or recording the member's pack entry, so both
 * are written here (idempotently).
 */
async function archiveSettled(deps: ClaimDeps, archive: string, member: ClaimRequest): Promise<boolean> {
  let expires: string | undefined;
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.archiveBucket, Key: archive }));
    expires = head.Metadata?.['lv-expires'];
  } catch (error) {
    if (isAwsError(error, 'NotFound', 'NoSuchKey', 404)) return false;
    throw error;
  }
  const parsed = expires && expires !== 'never' ? new Date(expires) : undefined;
  const at = parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined;
  if (at)
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.archiveBucket,
        Key: expiryIndexKey(at, archive),
        Body: '',
        ContentLength: 0,
      }),
    );
  if (parsePackKey(archive)) await recordEntries(deps.ledger, entriesFor(archive, [member], at ?? null));
  return true;
}

/** Looks at the holder's attempt until it is no longer writing, its lease lapses, or `until` passes. */
async function waitFor(deps: ClaimDeps, attemptId: string, until: number): Promise<void> {
  for (;;) {
    deps.signal?.throwIfAborted();
    const attempt = await getAttempt(deps.ledger, attemptId);
    if (attempt?.state !== 'writing' || deps.now().getTime() >= until) return;
    await sleep(deps.pollMs ?? 1000, undefined, deps.signal ? { signal: deps.signal } : {});
  }
}

/**
 * Waits for the attempts that held busy members to finish (or their leases to lapse), each
 * attempt once, rather than handing the jobs back to burn a receive. Bounded by the leases and
 * by the caller's signal.
 */
export async function waitForHolders(deps: ClaimDeps, busy: Iterable<ClaimOutcome>): Promise<void> {
  const holders = new Map<string, number>();
  for (const b of busy)
    if (b.outcome === 'busy') holders.set(b.attempt, Math.max(holders.get(b.attempt) ?? 0, b.until));
  await mapLimit([...holders], CONCURRENCY, ([attempt, until]) => waitFor(deps, attempt, until));
}

/**
 * Claims one member for the attempt its item names (design: the member ledger's claim protocol).
 * A member held by an attempt that is done, or whose archive exists, is a duplicate; one held by
 * a failed or lapsed attempt is taken over; one held by a live lease is busy.
 */
async function claimOne(deps: ClaimDeps, item: ClaimRequest): Promise<ClaimOutcome> {
  let holder: MemberHolder | undefined;
  const record = () => (deps.record === 'claims' ? claimOf(item, deps.now()) : item);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (!holder) {
      const claim = await claimMember(deps.ledger, record());
      if (claim.claimed) return { outcome: 'claimed' };
      holder = claim.holder;
    }
    if (holder.attempt === item.attempt) return { outcome: 'claimed' };
    const attempt = await getAttempt(deps.ledger, holder.attempt);
    const unwritten = deps.wroteNothing?.has(holder.attempt) ?? false;
    const archiveExists =
      attempt?.state !== 'done' && !unwritten && (await archiveSettled(deps, holder.archive, item));
    const decision = conflictDecision({ attempt, archiveExists }, deps.now());
    if (decision.action === 'duplicate') return { outcome: 'duplicate', archive: holder.archive };
    if (decision.action === 'wait')
      return { outcome: 'busy', attempt: holder.attempt, until: decision.until };
    if (await takeOverMember(deps.ledger, record(), holder.attempt)) return { outcome: 'claimed' };
    // Someone else took it over first: look at whoever holds it now.
    holder = await getMember(deps.ledger, item.id);
  }
  return { outcome: 'failed', error: new Error(`member ${item.id}: its claim kept changing hands`) };
}

/** Claims every member of a pack; a member whose claim fails fails alone. */
export async function claimAll(
  deps: ClaimDeps,
  items: readonly ClaimRequest[],
): Promise<Map<string, ClaimOutcome>> {
  const outcomes = await mapLimit(items, CONCURRENCY, (item) =>
    claimOne(deps, item).catch((error: unknown): ClaimOutcome => ({ outcome: 'failed', error })),
  );
  return new Map(items.map((item, i) => [item.id, outcomes[i] as ClaimOutcome]));
}

/**
 * Claims members for an archive that already exists (a whole batch's): busy members are waited
 * for and claimed again, a few times, since nothing is held back by waiting here.
 */
export async function claimForExisting(
  deps: ClaimDeps,
  items: readonly ClaimRequest[],
): Promise<Map<string, ClaimOutcome>> {
  const outcomes = await claimAll(deps, items);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const busy = items.filter((i) => outcomes.get(i.id)?.outcome === 'busy');
    if (busy.length === 0) break;
    await waitForHolders(
      deps,
      busy.map((i) => outcomes.get(i.id) as ClaimOutcome),
    );
    for (const [id, outcome] of await claimAll(deps, busy)) outcomes.set(id, outcome);
  }
  return outcomes;
}
