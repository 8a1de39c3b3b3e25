import { setTimeout as sleep } from 'node:timers/promises';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { isAwsError } from '../errors.ts';
import { mapLimit } from '../map-limit.ts';
import { expiryIndexKey } from './layout.ts';
import {
  type AttemptItem,
  claimMember,
  conflictDecision,
  getAttempt,
  getMember,
  type LedgerDeps,
  type MemberItem,
  takeOverMember,
} from './member-ledger.ts';

export interface ClaimDeps {
  readonly ledger: LedgerDeps;
  readonly s3: S3Client;
  readonly archiveBucket: string;
  readonly now: () => Date;
  /** Aborts waiting for another attempt's lease (the invocation's deadline). */
  readonly signal?: AbortSignal;
  /** How often a live lease is looked at again while waiting for it. */
  readonly pollMs?: number;
}

export type ClaimOutcome =
  | { readonly outcome: 'claimed' }
  /** Stored already, in `archive`: settle, never store again. */
  | { readonly outcome: 'duplicate'; readonly archive: string }
  | { readonly outcome: 'failed'; readonly error: unknown };

const CONCURRENCY = 16;
const MAX_ROUNDS = 5;

/**
 * Whether an archive exists; when it does but its writer never marked the attempt done, it may
 * have died before indexing the archive's expiry, so the entry is written here (idempotently).
 */
async function archiveSettled(deps: ClaimDeps, archive: string): Promise<boolean> {
  let expires: string | undefined;
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.archiveBucket, Key: archive }));
    expires = head.Metadata?.['lv-expires'];
  } catch (error) {
    if (isAwsError(error, 'NotFound', 'NoSuchKey', 404)) return false;
    throw error;
  }
  const at = expires && expires !== 'never' ? new Date(expires) : undefined;
  if (at && !Number.isNaN(at.getTime()))
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.archiveBucket,
        Key: expiryIndexKey(at, archive),
        Body: '',
        ContentLength: 0,
      }),
    );
  return true;
}

/** Looks at the holder's attempt until it is no longer writing, its lease lapses, or `until` passes. */
async function waitFor(deps: ClaimDeps, attemptId: string, until: number): Promise<AttemptItem | undefined> {
  for (;;) {
    deps.signal?.throwIfAborted();
    const attempt = await getAttempt(deps.ledger, attemptId);
    if (attempt?.state !== 'writing' || deps.now().getTime() >= until) return attempt;
    await sleep(deps.pollMs ?? 1000, undefined, deps.signal ? { signal: deps.signal } : {});
  }
}

/**
 * Claims one member for the attempt its item names (design: the member ledger's claim protocol).
 * A member held by an attempt that is done, or whose archive exists, is a duplicate; one held by
 * a failed or lapsed attempt is taken over; one held by a live lease is waited for.
 */
async function claimOne(deps: ClaimDeps, item: MemberItem): Promise<ClaimOutcome> {
  const first = await claimMember(deps.ledger, item);
  if (first.claimed) return { outcome: 'claimed' };
  let holder: MemberItem | undefined = first.holder;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    if (!holder) {
      const again = await claimMember(deps.ledger, item);
      if (again.claimed) return { outcome: 'claimed' };
      holder = again.holder;
    }
    if (holder.attempt === item.attempt) return { outcome: 'claimed' };
    let attempt = await getAttempt(deps.ledger, holder.attempt);
    let decision = conflictDecision(
      { attempt, archiveExists: attempt?.state !== 'done' && (await archiveSettled(deps, holder.archive)) },
      deps.now(),
    );
    if (decision.action === 'wait') {
      attempt = await waitFor(deps, holder.attempt, decision.until);
      decision = conflictDecision(
        { attempt, archiveExists: attempt?.state !== 'done' && (await archiveSettled(deps, holder.archive)) },
        deps.now(),
      );
    }
    if (decision.action === 'duplicate') return { outcome: 'duplicate', archive: holder.archive };
    if (decision.action === 'take-over' && (await takeOverMember(deps.ledger, item, holder.attempt)))
      return { outcome: 'claimed' };
    // Still writing after its lease (renewed meanwhile), or someone else took it over: look again.
    holder = await getMember(deps.ledger, item.id);
  }
  return { outcome: 'failed', error: new Error(`member ${item.id}: its claim kept changing hands`) };
}

/** Claims every member of a pack; a member whose claim fails fails alone. */
export async function claimAll(
  deps: ClaimDeps,
  items: readonly MemberItem[],
): Promise<Map<string, ClaimOutcome>> {
  const outcomes = await mapLimit(items, CONCURRENCY, (item) =>
    claimOne(deps, item).catch((error: unknown): ClaimOutcome => ({ outcome: 'failed', error })),
  );
  return new Map(items.map((item, i) => [item.id, outcomes[i] as ClaimOutcome]));
}
