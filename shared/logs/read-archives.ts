import { PassThrough } from 'node:stream';
import { decodeArchive, type ProvedArchive, type ReadDeps } from '../archive/open-archive.ts';
import { type OpenedPack, openPack } from '../archive/open-pack.ts';
import { parsePackKey } from '../archive/pack-format.ts';
import { batchMembers } from '../archive/pack-sources.ts';
import { ColdObjectError, IntegrityError, NoSuchArchiveError } from '../errors.ts';
import { parseBatchObjectKey } from '../segments/batch-format.ts';
import { fromPackEntry, type LogMember } from './members.ts';
import type { ReadFailure } from './plan.ts';

/** A member whose bytes are proven, described as the archive that proved them says. */
export interface ProvenMember {
  readonly member: LogMember;
  /** None for a gap. */
  readonly bytes: Buffer;
}

export interface ReadOptions {
  /** Runs before an archive is read (e.g. to thaw one in a cold storage class). */
  readonly prepare?: (archiveKey: string) => Promise<void>;
  /** Called with each proven member, in the order read; the next waits for it. */
  readonly deliver: (proven: ProvenMember) => Promise<void>;
  /** After each archive, with the bytes fetched for it (packs only). */
  readonly onArchive?: (archiveKey: string, bytesFetched: number) => void;
}

/** Why an archive as a whole could not be read: missing (or not yet thawed) is a gap; anything else a failure. */
export function failureOf(error: unknown): ReadFailure {
  const why = error instanceof Error ? error.message : String(error);
  if (error instanceof NoSuchArchiveError || error instanceof ColdObjectError)
    return { kind: 'missing', why };
  return { kind: 'failed', why };
}

/** A failure of the caller's own handling of a member: never taken for a failure of the archive. */
class DeliveryError extends Error {}
const delivering =
  (deliver: ReadOptions['deliver']): ReadOptions['deliver'] =>
  (proven) =>
    deliver(proven).catch((error: unknown) => {
      throw new DeliveryError('delivery failed', { cause: error });
    });

const notListed = (key: string, id: string): ReadFailure => ({
  kind: 'missing',
  why: `${key}: the archive does not hold member ${id}`,
});

/** Reads members of one pack, group by group, so each group is fetched and decrypted once. */
async function readPack(
  pack: OpenedPack,
  wanted: readonly LogMember[],
  deliver: ReadOptions['deliver'],
): Promise<Map<string, ReadFailure>> {
  const failures = new Map<string, ReadFailure>();
  const listed = wanted.filter((m) => {
    if (pack.entry(m.id)) return true;
    failures.set(m.id, notListed(pack.key, m.id));
    return false;
  });
  const group = (m: LogMember) => pack.entry(m.id)?.group ?? -1;
  for (const m of [...listed].sort((a, b) => group(a) - group(b))) {
    try {
      const bytes = await pack.read(m.id);
      await deliver({ member: fromPackEntry(pack.key, pack.entry(m.id) as never), bytes });
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      failures.set(m.id, { kind: 'failed', why: error.message });
    }
  }
  return failures;
}

/**
 * Reads the v1 archive of a whole shipper batch: decoded and verified as any v1 archive (its
 * authenticated context names the batch object), its body split into members by batch-format.ts
 * exactly as the archive function split it, so their ids are the ledger's. Only the `wanted` ids'
 * bytes are kept, one segment at a time; everything is handed on only once the whole archive's
 * SHA-256 has been proven. Answers every member the batch holds.
 */
export async function readBatchArchive(
  deps: ReadDeps,
  archiveKey: string,
  wanted: ReadonlySet<string>,
): Promise<ProvenMember[]> {
  const plaintext = new PassThrough({ highWaterMark: 1024 * 1024 });
  let provedContext: (ctx: ProvedArchive) => void = () => undefined;
  const context = new Promise<ProvedArchive>((resolve) => {
    provedContext = resolve;
  });
  const decoding = decodeArchive(deps, archiveKey, plaintext, (proved) => {
    if (!parseBatchObjectKey(proved.key))
      throw new IntegrityError(archiveKey, `holds ${JSON.stringify(proved.key)}, not a shipper batch`);
    provedContext(proved);
  });
  const kept = new Map<string, Buffer>();
  const splitting = Promise.race([context, decoding.then(() => undefined)]).then(async (ctx) => {
    if (!ctx) throw new IntegrityError(archiveKey, 'decoded without a context');
    return batchMembers({ bucket: ctx.bucket, key: ctx.key }, ctx.source, plaintext, (id, bytes) => {
      if (wanted.has(id)) kept.set(id, bytes);
    });
  });
  splitting.catch((error: unknown) => plaintext.destroy(error as Error));
  const [decoded, split] = await Promise.allSettled([decoding, splitting]);
  if (decoded.status === 'rejected') throw decoded.reason;
  if (split.status === 'rejected') throw wrapSplit(archiveKey, split.reason);
  return split.value.members.map(({ description }) => ({
    member: { ...description, archive: archiveKey } as LogMember,
    bytes: kept.get(description.id) ?? Buffer.alloc(0),
  }));
}

const wrapSplit = (key: string, error: unknown) =>
  error instanceof IntegrityError
    ? error
    : new IntegrityError(key, `is not a readable batch: ${(error as Error).message}`, { cause: error });

/**
 * Reads members archive by archive (`reads` from plan.ts: packs, and v1 archives of whole shipper
 * batches), handing each proven member on, and answers the members that could not be used. An
 * archive that is gone (or cold) makes its members missing; one that fails a check makes them
 * failed. Object members of v1 archives are not read here: they stream (see restore.ts).
 */
export async function readMembers(
  deps: ReadDeps,
  reads: ReadonlyMap<string, readonly LogMember[]>,
  opts: ReadOptions,
): Promise<Map<string, ReadFailure>> {
  const failures = new Map<string, ReadFailure>();
  const failAll = (members: readonly LogMember[], f: ReadFailure) => {
    for (const m of members) failures.set(m.id, f);
  };
  const deliver = delivering(opts.deliver);
  for (const [key, members] of reads) {
    let fetched = 0;
    try {
      await opts.prepare?.(key);
      if (parsePackKey(key)) {
        const pack = await openPack(deps, key);
        try {
          for (const [id, f] of await readPack(pack, members, deliver)) failures.set(id, f);
        } finally {
          fetched = pack.bytesFetched();
        }
      } else {
        const proven = await readBatchArchive(deps, key, new Set(members.map((m) => m.id)));
        const byId = new Map(proven.map((p) => [p.member.id, p]));
        for (const m of members) {
          const p = byId.get(m.id);
          if (p) await deliver(p);
          else failures.set(m.id, notListed(key, m.id));
        }
      }
    } catch (error) {
      if (error instanceof DeliveryError) throw error.cause;
      failAll(members, failureOf(error));
    }
    opts.onArchive?.(key, fetched);
  }
  return failures;
}
