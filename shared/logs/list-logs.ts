import type { S3Client } from '@aws-sdk/client-s3';
import { settledItems } from '../archive/await-members.ts';
import { parseArchiveKey, splitSourceKey } from '../archive/layout.ts';
import { type ArchiveEntry, describeArchive, listArchives } from '../archive/list.ts';
import {
  allMembers,
  type GonePack,
  type LedgerDeps,
  type MemberItem,
  type MembersRange,
} from '../archive/member-ledger.ts';
import type { ReadMetadata } from '../archive/metadata.ts';
import { listedByMetadata, within } from '../archive/selection.ts';
import { mapLimit } from '../map-limit.ts';
import { globMatches } from '../policy/glob.ts';
import { objectGenerationId } from '../segments/identity.ts';
import { batchOfV1Archive, gonePackCollector, ledgerMembers } from './gather.ts';
import {
  buildGenerations,
  eachByteOnce,
  type LogGeneration,
  type MissingBatch,
  membersOf,
  missingBatches,
} from './generations.ts';
import { fromLedgerItem, type LogMember } from './members.ts';
import { type GapReport, IN_NO_ARCHIVE } from './plan.ts';
import { type LogSelection, selectGenerations, wholeGenerationsLookup } from './select.ts';

/** One log generation as `logvault ls` shows it. From the ledger and metadata: nothing here is proven. */
export interface LogRow {
  readonly source: string;
  /** Shipped: the path on the host. Object: its key below the source. */
  readonly path: string;
  readonly generation: string;
  readonly kind: 'shipped' | 'object';
  /** When its first and last bytes were shipped (objects: modified); null when no record says. */
  readonly firstTime: string | null;
  readonly lastTime: string | null;
  /** Distinct log bytes stored. */
  readonly bytes: number;
  /** Segments stored (an object: 1). */
  readonly segments: number;
  /** Ranges no archive holds, or the host lost. */
  readonly gaps: readonly GapReport[];
  readonly archives: readonly string[];
  readonly members: readonly string[];
  /** Objects: the key it was shipped as (what `restore` names it by). */
  readonly originalKey?: string;
  /** Objects: the one archive (v1 archive or pack) that holds it. */
  readonly archiveKey?: string;
  /** v1 archives: metadata fields that are missing or malformed. */
  readonly unreadable?: readonly string[];
}

export interface LogListing {
  readonly rows: readonly LogRow[];
  readonly missing: readonly MissingBatch[];
  /** Packs the ledger names that are gone before their expiry: their logs cannot be listed. */
  readonly gonePacks: readonly GonePack[];
}

const UNREADABLE = '(metadata missing: run logvault verify)';

function rowOf(g: LogGeneration): LogRow {
  const base = {
    source: g.source,
    path: g.path,
    generation: g.generation,
    firstTime: g.firstTime,
    lastTime: g.lastTime,
    bytes: g.bytes,
    archives: g.archives,
    members: membersOf([g]).map((m) => m.id),
  };
  if (g.kind === 'object')
    return {
      ...base,
      kind: 'object',
      segments: 1,
      gaps: [],
      originalKey: g.member.key,
      archiveKey: g.member.archive,
    };
  const gaps = eachByteOnce<GapReport>([
    ...g.holes.map((h) => ({ ...h, why: IN_NO_ARCHIVE })),
    ...g.lost.map((l) => ({ start: l.start, end: l.end, why: `lost on the host (${l.reason})` })),
  ]);
  return { ...base, kind: 'shipped', segments: g.segments.length, gaps };
}

/** A v1 archive of a whole object, as its (unauthenticated) metadata describes it. */
function v1Row(e: ArchiveEntry, m: ReadMetadata | undefined): LogRow {
  const parsed = parseArchiveKey(e.archiveKey);
  const originalKey = m?.sourceKey ?? (parsed ? `${parsed.source}/${parsed.relative}` : UNREADABLE);
  const modified = m?.sourceModified ? new Date(m.sourceModified) : undefined;
  const time = modified && !Number.isNaN(modified.getTime()) ? modified : undefined;
  return {
    source: m?.source ?? parsed?.source ?? '?',
    path: splitSourceKey(originalKey).relative,
    generation: time ? objectGenerationId(time) : `${parsed?.day ?? '?'}`,
    kind: 'object',
    firstTime: time?.toISOString() ?? null,
    lastTime: time?.toISOString() ?? null,
    bytes: m?.sourceSize ?? 0,
    segments: 1,
    gaps: [],
    archives: [e.archiveKey],
    members: [],
    originalKey: m ? originalKey : UNREADABLE,
    archiveKey: e.archiveKey,
    unreadable: m ? m.unreadable : ['all'],
  };
}

/** The ledger's members in the range: of one source (its index), or of every source (a scan). */
async function membersIn(
  ledger: LedgerDeps | undefined,
  sel: LogSelection & { readonly source?: string },
  onGonePack: MembersRange['onGonePack'],
): Promise<LogMember[]> {
  const range = {
    ...(sel.from ? { from: sel.from } : {}),
    ...(sel.to ? { to: sel.to } : {}),
    ...(onGonePack ? { onGonePack } : {}),
  };
  if (sel.source !== undefined) return ledgerMembers(ledger, sel.source, range);
  if (!ledger) return [];
  const items: MemberItem[] = [];
  for await (const item of allMembers(ledger, range))
    if (within(new Date(item.time), range)) items.push(item);
  return (await settledItems(ledger, items)).map(fromLedgerItem);
}

/** The selection without its end: a generation may have grown after it. */
const wholeOf = (sel: LogSelection & { readonly source?: string }) => ({
  ...(sel.source !== undefined ? { source: sel.source } : {}),
  ...(sel.path !== undefined ? { path: sel.path } : {}),
});

/**
 * Lists logs: every generation of the ledger's members in the range (brought back whole when the
 * range cut it, as a restore would take it), and every v1 archive of a whole object. One HEAD per
 * v1 archive; packs are not read (`verify` proves what the ledger says).
 */
export async function listLogs(
  deps: { readonly s3: S3Client; readonly bucket: string; readonly ledger?: LedgerDeps },
  sel: LogSelection & { readonly source?: string },
): Promise<LogListing> {
  const gone = gonePackCollector();
  const first = await membersIn(deps.ledger, sel, gone.onGonePack);
  const selected = selectGenerations(buildGenerations(first), sel);
  const again = wholeGenerationsLookup(selected, sel);
  const all = again
    ? [...first, ...(await membersIn(deps.ledger, { ...wholeOf(sel), from: again.from }, gone.onGonePack))]
    : first;
  const wanted = new Set(selected.map((g) => JSON.stringify([g.source, g.path, g.generation, g.kind])));
  const gens = buildGenerations(all).filter((g) =>
    wanted.has(JSON.stringify([g.source, g.path, g.generation, g.kind])),
  );
  const recorded = new Set(all.map((m) => m.archive));
  const entries: ArchiveEntry[] = [];
  const filter = {
    ...(sel.source !== undefined ? { source: sel.source } : {}),
    ...(sel.from ? { from: sel.from } : {}),
    ...(sel.to ? { to: sel.to } : {}),
  };
  for await (const e of listArchives(deps.s3, deps.bucket, filter)) {
    if (batchOfV1Archive(e.archiveKey) && recorded.has(e.archiveKey)) continue;
    entries.push(e);
  }
  const metas = await mapLimit(entries, 16, (e) =>
    describeArchive(deps.s3, deps.bucket, e.archiveKey).catch(() => undefined),
  );
  const v1 = entries.flatMap((e, i) => {
    const m = metas[i];
    const day = parseArchiveKey(e.archiveKey)?.day ?? '';
    if (listedByMetadata(m, day, sel) === 'out') return [];
    const row = v1Row(e, m);
    return sel.path === undefined || globMatches(sel.path, row.path) ? [row] : [];
  });
  const rows = [...gens.map(rowOf), ...v1].sort((a, b) =>
    a.source + a.path + a.generation < b.source + b.path + b.generation ? -1 : 1,
  );
  return { rows, missing: missingBatches(all, again ?? sel), gonePacks: gone.gone() };
}
