import { Readable } from 'node:stream';
import type { KeyringNode } from '@aws-crypto/client-node';
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { IntegrityError } from '../errors.ts';
import { mapLimit } from '../map-limit.ts';
import { type Policy, storageClassAtWrite } from '../policy/index.ts';
import { expiryIndexKey, utcDay } from './layout.ts';
import { entriesFor, recordEntries } from './ledger-entries.ts';
import {
  type AttemptItem,
  endAttempt,
  LEASE_RENEW_MS,
  type LedgerDeps,
  renewLease,
  startAttempt,
} from './member-ledger.ts';
import { type ClaimDeps, type ClaimOutcome, claimAll, claimRequest, waitForHolders } from './pack-claims.ts';
import { newPackId, packKey, toPackS3Metadata } from './pack-format.ts';
import { layoutPack, type PackInput } from './pack-layout.ts';
import { type MemberFate, type PackableRecord, type PackLoad, uniqueMembers } from './pack-plan.ts';
import { sealPack, verifyPack } from './pack-seal.ts';
import { readPackInputs } from './pack-sources.ts';
import type { SourceObject } from './source-object.ts';
import { writeArchive } from './upload.ts';

export interface PackDeps {
  readonly s3: S3Client;
  readonly keyring: KeyringNode;
  readonly ledger: LedgerDeps;
  readonly config: { readonly archiveBucket: string; readonly archiveKeyArn: string };
  readonly now: () => Date;
  readonly signal?: AbortSignal;
}

/** A record bound for a pack, with its source looked up. */
export interface PackRecord extends PackableRecord {
  readonly src: SourceObject;
  readonly source: string;
  /** When the object was uploaded (the job's event time): where archive latency starts. */
  readonly eventTime: string;
}

export interface LoadResult {
  /** The members each record holds, by record. */
  readonly membersOf: ReadonlyMap<string, readonly string[]>;
  readonly fates: ReadonlyMap<string, MemberFate>;
  /** Records whose source could not be read into members (poison batches among them). */
  readonly unread: ReadonlyMap<string, unknown>;
  readonly written?: {
    readonly key: string;
    readonly members: number;
    readonly bytesIn: number;
    readonly bytesOut: number;
  };
}

const READ_CONCURRENCY = 16;
/**
 * Rounds of claiming: a round that finds duplicates is redone with fewer members (a pack key names
 * its member count), and members another attempt held are claimed again once it finished.
 */
const CLAIM_ROUNDS = 5;
/** A write stops this long before its lease ends without a renewal, so no taker ever races it. */
const LEASE_SAFETY_MS = 10_000;

/**
 * Keeps an attempt's lease while its pack is written: renewed every LEASE_RENEW_MS, and the write
 * stopped (its signal aborted) when a renewal is refused or the lease is about to end unrenewed,
 * since from then on another attempt may take its members over.
 */
function keepLease(deps: PackDeps, attempt: AttemptItem): { signal: AbortSignal; stop(): void } {
  const lost = new AbortController();
  const lose = (why: string) => lost.abort(new Error(`${attempt.archive}: ${why}; the write is abandoned`));
  const left = (until: number) => until - deps.now().getTime() - LEASE_SAFETY_MS;
  let guard = setTimeout(() => lose('the lease ran out'), left(attempt.leaseUntil));
  const renew = setInterval(() => {
    renewLease(deps.ledger, attempt.id, deps.now()).then(
      (until) => {
        if (until === undefined) return lose('the lease was lost');
        clearTimeout(guard);
        guard = setTimeout(() => lose('the lease ran out'), left(until));
      },
      () => undefined,
    );
  }, LEASE_RENEW_MS);
  const signal = deps.signal ? AbortSignal.any([deps.signal, lost.signal]) : lost.signal;
  return {
    signal,
    stop() {
      clearInterval(renew);
      clearTimeout(guard);
    },
  };
}

async function indexExpiry(deps: PackDeps, expires: Date, key: string): Promise<void> {
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.config.archiveBucket,
      Key: expiryIndexKey(expires, key),
      Body: '',
      ContentLength: 0,
    }),
  );
}

async function storedSize(deps: PackDeps, key: string): Promise<number | undefined> {
  try {
    const head = await deps.s3.send(new HeadObjectCommand({ Bucket: deps.config.archiveBucket, Key: key }));
    return head.ContentLength;
  } catch {
    return undefined;
  }
}

/**
 * Seals, verifies and uploads one pack, then indexes its expiry. Every member of it is stored
 * once this returns; if it throws, none is.
 */
async function writePack(
  deps: PackDeps,
  signal: AbortSignal,
  pack: {
    key: string;
    packId: string;
    policy: Policy;
    archivedAt: Date;
    expires: Date | null;
    inputs: PackInput[];
  },
): Promise<{ bytesIn: number; bytesOut: number }> {
  const layout = layoutPack(pack.inputs, pack.policy.codec);
  const sealed = await sealPack(layout, { ...pack, policy: pack.policy.name }, deps.keyring);
  await verifyPack(pack.key, sealed);
  signal.throwIfAborted();
  const { policy, archivedAt } = pack;
  const written = await writeArchive(deps.s3, {
    bucket: deps.config.archiveBucket,
    key: pack.key,
    body: Readable.from([sealed.body]),
    kmsKeyArn: deps.config.archiveKeyArn,
    storageClassFor: (size) => storageClassAtWrite(policy, size ?? sealed.body.length),
    tagging: `logvault-policy=${encodeURIComponent(policy.name)}`,
    metadata: toPackS3Metadata({
      policy: policy.name,
      archivedAt: archivedAt.toISOString(),
      expires: pack.expires ? pack.expires.toISOString() : 'never',
      members: layout.members.length,
      bytesIn: sealed.plaintextBytes,
      indexOffset: sealed.indexOffset,
      indexLength: sealed.indexLength,
    }),
    ...(policy.objectLock
      ? {
          objectLock: {
            mode: policy.objectLock.mode,
            retainUntil: new Date(archivedAt.getTime() + policy.objectLock.days * 86_400_000),
          },
        }
      : {}),
    signal,
  });
  // A pack key is new to every attempt: one that is taken holds this very write, whose answer was lost.
  const size = await storedSize(deps, pack.key);
  if (size !== sealed.body.length)
    throw new IntegrityError(pack.key, `stored ${size} bytes but wrote ${sealed.body.length} (${written})`);
  if (pack.expires) await indexExpiry(deps, pack.expires, pack.key);
  // Only now, with the pack verified, do its members become visible to readers.
  const members = pack.inputs.map((i) => i.description);
  await recordEntries(deps.ledger, entriesFor(pack.key, members, pack.expires));
  return { bytesIn: sealed.plaintextBytes, bytesOut: sealed.body.length };
}

/**
 * Archives one load (records of one policy and expiry day) as one pack: reads every record's
 * members, claims each member once in the ledger, and writes the claimed ones in a pack whose
 * attempt is then marked done. A member another attempt already stored is settled as a
 * duplicate; a record whose source cannot be read fails alone; if the pack fails, every member
 * in it fails (and its attempt is marked failed, so the retries take the claims over at once).
 */
export async function archiveLoad(
  deps: PackDeps,
  load: PackLoad<PackRecord>,
  archivedAt: Date,
): Promise<LoadResult> {
  const unread = new Map<string, unknown>();
  const membersOf = new Map<string, string[]>();
  const fates = new Map<string, MemberFate>();
  const read = await mapLimit(load.records, READ_CONCURRENCY, async (r) => {
    try {
      deps.signal?.throwIfAborted();
      const inputs = await readPackInputs(deps.s3, r.src, r.source);
      membersOf.set(
        r.ref,
        inputs.map((i) => i.description.id),
      );
      return inputs;
    } catch (error) {
      unread.set(r.ref, error);
      return [];
    }
  });
  let pending = uniqueMembers(read);
  // Members another live attempt holds: waited for only after this pack is written.
  let waiting: PackInput[] = [];
  let holders: ClaimOutcome[] = [];
  const wroteNothing = new Set<string>();
  const claimDeps = (signal?: AbortSignal): ClaimDeps => ({
    ledger: deps.ledger,
    s3: deps.s3,
    archiveBucket: deps.config.archiveBucket,
    now: deps.now,
    wroteNothing,
    record: 'claims',
    ...(signal ? { signal } : {}),
  });
  let written: LoadResult['written'];
  for (let round = 0; round < CLAIM_ROUNDS; round++) {
    if (pending.length === 0) {
      if (waiting.length === 0) break;
      await waitForHolders(claimDeps(deps.signal), holders).catch(() => undefined);
      [pending, waiting, holders] = [waiting, [], []];
    }
    const packId = newPackId(archivedAt);
    const key = packKey({
      policy: load.policy.name,
      day: utcDay(archivedAt),
      packId,
      members: pending.length,
    });
    const attempt = await startAttempt(deps.ledger, key, deps.now());
    const lease = keepLease(deps, attempt);
    try {
      const items = pending.map((p) =>
        claimRequest(p.description, { archive: key, attempt: attempt.id, policy: load.policy.name }),
      );
      const claims = await claimAll(claimDeps(lease.signal), items);
      const claimed: PackInput[] = [];
      for (const p of pending) {
        const c = claims.get(p.description.id) as ClaimOutcome;
        if (c.outcome === 'claimed') claimed.push(p);
        else if (c.outcome === 'duplicate') fates.set(p.description.id, { fate: 'duplicate' });
        else if (c.outcome === 'failed') fates.set(p.description.id, { fate: 'failed', error: c.error });
        else {
          waiting.push(p);
          holders.push(c);
        }
      }
      if (claimed.length < pending.length) {
        // The key names its member count: fewer members need another key, so this attempt ends here.
        await endAttempt(deps.ledger, attempt.id, 'failed', deps.now());
        wroteNothing.add(attempt.id);
        pending = claimed;
        continue;
      }
      try {
        const counts = await writePack(deps, lease.signal, {
          key,
          packId,
          policy: load.policy,
          archivedAt,
          expires: load.expires,
          inputs: claimed,
        });
        await endAttempt(deps.ledger, attempt.id, 'done', deps.now());
        for (const p of claimed) fates.set(p.description.id, { fate: 'stored' });
        written = { key, members: claimed.length, ...counts };
      } catch (error) {
        for (const p of claimed) fates.set(p.description.id, { fate: 'failed', error });
        await endAttempt(deps.ledger, attempt.id, 'failed', deps.now()).catch(() => undefined);
      }
      pending = [];
    } finally {
      lease.stop();
    }
  }
  for (const p of [...pending, ...waiting])
    if (!fates.has(p.description.id))
      fates.set(p.description.id, {
        fate: 'failed',
        error: new Error(`member ${p.description.id} is still held by another attempt; retried later`),
      });
  return { membersOf, fates, unread, ...(written ? { written } : {}) };
}
