import { settledItems } from '../archive/await-members.ts';
import { parseArchiveKey } from '../archive/layout.ts';
import { type ArchiveEntry, listArchives } from '../archive/list.ts';
import {
  type GonePack,
  type LedgerDeps,
  type MemberItem,
  type MembersRange,
  membersOfSource,
} from '../archive/member-ledger.ts';
import type { ReadDeps } from '../archive/open-archive.ts';
import { parseBatchObjectKey } from '../segments/batch-format.ts';
import { parseCompactUtc } from '../segments/identity.ts';
import {
  buildGenerations,
  generationKey,
  type LogGeneration,
  type MissingBatch,
  missingBatches,
} from './generations.ts';
import { fromLedgerItem, type LogMember } from './members.ts';
import { readBatchArchive } from './read-archives.ts';
import { type LogSelection, selectGenerations, wholeGenerationsLookup } from './select.ts';

/**
 * A source's archived members in the ledger, oldest first; with a range, only those whose time is
 * in it. Members whose archive is still being written are left out until it is.
 */
export async function ledgerMembers(
  ledger: LedgerDeps | undefined,
  source: string,
  range: MembersRange = {},
): Promise<LogMember[]> {
  if (!ledger) return [];
  const items: MemberItem[] = [];
  for await (const item of membersOfSource(ledger, source, range)) items.push(item);
  return (await settledItems(ledger, items)).map(fromLedgerItem);
}

/** The batch a v1 archive holds, when it is the archive of a whole shipper batch. */
export function batchOfV1Archive(archiveKey: string): { batchId: string; created: Date } | undefined {
  const parsed = parseArchiveKey(archiveKey);
  const batchId = parsed && parseBatchObjectKey(`${parsed.source}/${parsed.relative}`)?.batchId;
  const created = batchId ? parseCompactUtc(batchId.slice(0, 16)) : undefined;
  return batchId && created ? { batchId, created } : undefined;
}

export interface V1Split {
  /** v1 archives of whole objects: each is a log of its own, read as before packs. */
  readonly objects: readonly ArchiveEntry[];
  /** v1 archives of whole shipper batches whose members the ledger does not record (archived before it). */
  readonly unrecorded: readonly ArchiveEntry[];
}

/**
 * Lists a source's v1 archives in the range and splits them: whole objects, and whole shipper
 * batches the ledger knows nothing of. A batch archive the ledger records is reached through its
 * members; one whose batch was made outside the range is not asked for.
 */
export async function listV1(
  deps: Pick<ReadDeps, 's3' | 'bucket'>,
  source: string,
  range: { from?: Date; to?: Date },
  recorded: ReadonlySet<string>,
): Promise<V1Split> {
  const objects: ArchiveEntry[] = [];
  const unrecorded: ArchiveEntry[] = [];
  for await (const e of listArchives(deps.s3, deps.bucket, { source, ...range })) {
    const batch = batchOfV1Archive(e.archiveKey);
    if (!batch) objects.push(e);
    else if (!recorded.has(e.archiveKey) && inRange(batch.created, range)) unrecorded.push(e);
  }
  return { objects, unrecorded };
}

const inRange = (t: Date, r: { from?: Date; to?: Date }) =>
  (!r.from || t.getTime() + 999 >= r.from.getTime()) && (!r.to || t <= r.to);

export interface Gathered {
  /** The selected generations of members the ledger (or an unrecorded batch archive) holds, whole. */
  readonly generations: readonly LogGeneration[];
  /** Batches named as `prev` and absent, among the members looked up. */
  readonly missing: readonly MissingBatch[];
  /** v1 archives of whole objects to decode; they are selected by path once their context is proved. */
  readonly v1Objects: readonly ArchiveEntry[];
  /** Packs the ledger names for this source that are gone before their expiry. */
  readonly gonePacks: readonly GonePack[];
}

/** Collects the gone packs a ledger read reports, each once. */
export function gonePackCollector(): { onGonePack: (g: GonePack) => void; gone: () => GonePack[] } {
  const seen = new Map<string, GonePack>();
  return {
    onGonePack: (g) => {
      if (!seen.has(g.archive)) seen.set(g.archive, g);
    },
    gone: () => [...seen.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0)),
  };
}

/**
 * What a restore, `cat` or `grep` of one source reads: the ledger's members in the range, the
 * generations they belong to, each brought back whole (looked up again from its first sight when
 * the range cut it), and the v1 archives of the range. A shipper batch archived whole before the
 * ledger existed is decoded once here to learn its members (its context and digest proved).
 */
export async function gatherLogs(
  deps: ReadDeps & { readonly ledger?: LedgerDeps },
  source: string,
  sel: LogSelection,
  opts: { readonly prepare?: (archiveKey: string) => Promise<void> } = {},
): Promise<Gathered> {
  const range = { ...(sel.from ? { from: sel.from } : {}), ...(sel.to ? { to: sel.to } : {}) };
  const gone = gonePackCollector();
  const first = await ledgerMembers(deps.ledger, source, { ...range, onGonePack: gone.onGonePack });
  const v1 = await listV1(deps, source, range, new Set(first.map((m) => m.archive)));
  const unrecorded: LogMember[] = [];
  for (const e of v1.unrecorded) {
    await opts.prepare?.(e.archiveKey);
    for (const p of await readBatchArchive(deps, e.archiveKey, new Set())) unrecorded.push(p.member);
  }
  const selected = selectGenerations(buildGenerations([...first, ...unrecorded]), sel);
  const again = wholeGenerationsLookup(selected, sel);
  const all = again
    ? [
        ...(await ledgerMembers(deps.ledger, source, { ...again, onGonePack: gone.onGonePack })),
        ...unrecorded,
      ]
    : [...first, ...unrecorded];
  const wanted = new Set(selected.map(generationKey));
  return {
    generations: buildGenerations(all).filter((g) => wanted.has(generationKey(g))),
    missing: missingBatches(all, again ?? range),
    v1Objects: v1.objects,
    gonePacks: gone.gone(),
  };
}
