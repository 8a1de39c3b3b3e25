import { computeExpiry, type Policy } from '../policy/index.ts';
import { utcDay } from './layout.ts';
import type { PackInput } from './pack-layout.ts';
import { MAX_PACK_PLAINTEXT_BYTES } from './pack-limits.ts';

/**
 * Decisions of the batch flow, apart from the calls that carry them out: which records are packed
 * and which keep an archive of their own, which records share a pack, which copy of a member a
 * pack stores, and what each record's outcome is once its members' fates are known.
 */

export type Route = 'pack' | 'single';

/**
 * A source of up to `threshold` bytes is packed; a larger one is archived alone, as before packs.
 * A threshold of 0 turns packing off: every source is archived alone.
 */
export function routeFor(sizeBytes: number, thresholdBytes: number): Route {
  return thresholdBytes > 0 && sizeBytes <= thresholdBytes ? 'pack' : 'single';
}

/** A record bound for a pack, before its source is read: its size comes from a HEAD. */
export interface PackableRecord {
  readonly ref: string;
  readonly policy: Policy;
  readonly size: number;
}

/** Records whose members share one pack: one policy, one expiry day, at most `maxBytes` of sources. */
export interface PackLoad<R extends PackableRecord> {
  readonly policy: Policy;
  readonly expires: Date | null;
  readonly records: readonly R[];
}

/**
 * Splits the records of a batch into pack loads: one per policy and expiry day (every record of
 * a batch is archived at `archivedAt`, so one per policy), in the order each policy first appears,
 * cut so that no load reads more than `maxBytes` of sources. A pack is then one load's members.
 */
export function planLoads<R extends PackableRecord>(
  records: readonly R[],
  archivedAt: Date,
  maxBytes = MAX_PACK_PLAINTEXT_BYTES,
): PackLoad<R>[] {
  const byKey = new Map<string, { policy: Policy; expires: Date | null; loads: R[][]; bytes: number }>();
  for (const record of records) {
    const expires = computeExpiry(record.policy, archivedAt);
    const key = `${record.policy.name}\n${expires ? utcDay(expires) : 'never'}`;
    const entry = byKey.get(key) ?? { policy: record.policy, expires, loads: [[]], bytes: 0 };
    byKey.set(key, entry);
    const current = entry.loads.at(-1) as R[];
    if (current.length > 0 && entry.bytes + record.size > maxBytes) {
      entry.loads.push([record]);
      entry.bytes = record.size;
    } else {
      current.push(record);
      entry.bytes += record.size;
    }
  }
  return [...byKey.values()].flatMap((e) =>
    e.loads.map((records) => ({ policy: e.policy, expires: e.expires, records })),
  );
}

/**
 * The members a pack stores: each member once, however many records of the load carry it (the
 * same object delivered twice, the same segment re-sent in two batches), in first-seen order.
 */
export function uniqueMembers(perRecord: readonly (readonly PackInput[])[]): PackInput[] {
  const seen = new Map<string, PackInput>();
  for (const inputs of perRecord)
    for (const input of inputs) if (!seen.has(input.description.id)) seen.set(input.description.id, input);
  return [...seen.values()];
}

/** What became of one member in this invocation. */
export type MemberFate =
  /** In an archive this invocation wrote and verified. */
  | { readonly fate: 'stored' }
  /** Already in an archive another attempt wrote: not stored again. */
  | { readonly fate: 'duplicate' }
  | { readonly fate: 'failed'; readonly error: unknown };

export type RecordVerdict = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/**
 * A record is done once every one of its members is stored or already was; a member that failed
 * (or was never decided) fails the record, for a retry, with the first such member's error.
 */
export function recordVerdict(
  memberIds: readonly string[],
  fates: ReadonlyMap<string, MemberFate>,
): RecordVerdict {
  for (const id of memberIds) {
    const fate = fates.get(id);
    if (!fate) return { ok: false, error: new Error(`member ${id} was never archived`) };
    if (fate.fate === 'failed') return { ok: false, error: fate.error };
  }
  return { ok: true };
}
