import { rm } from 'node:fs/promises';
import { parseArchiveKey, splitSourceKey } from '../archive/layout.ts';
import type { GonePack, LedgerDeps } from '../archive/member-ledger.ts';
import type { ReadDeps } from '../archive/open-archive.ts';
import { openPack } from '../archive/open-pack.ts';
import { openOutputRoot, placeFile } from '../archive/output-dir.ts';
import { decodeToTemp, type Proved, type RestoreResult } from '../archive/restore.ts';
import { keySegments, type RestoreName, restoreNames } from '../archive/restore-names.ts';
import { metadataNotes, namingTime } from '../archive/selection.ts';
import { objectGenerationId } from '../segments/identity.ts';
import { gatherLogs } from './gather.ts';
import {
  buildGenerations,
  generationKey,
  type LogGeneration,
  type MissingBatch,
  memberGenerationKey,
  membersOf,
} from './generations.ts';
import { fromPackEntry, type LogMember } from './members.ts';
import { type GapReport, IN_NO_ARCHIVE, judge, type ReadFailure, readsByArchive } from './plan.ts';
import { readMembers } from './read-archives.ts';
import { type FileAttributes, Reassembly } from './reassemble.ts';
import type { LogSelection } from './select.ts';

export interface LogRestoreOptions extends LogSelection {
  /** Write generations with gaps too (what exists, at its true offsets). */
  readonly allowGaps: boolean;
  /** Give files the owner recorded at ship time (only honoured when running as root). */
  readonly owners?: boolean;
  /** Runs before an archive is read (e.g. to thaw one in a cold storage class). */
  readonly prepare?: (archiveKey: string) => Promise<void>;
  /** After each archive is read, with the bytes fetched from a pack (its index and the groups read; 0 for a v1 archive, read whole). */
  readonly onArchive?: (archiveKey: string, bytesFetched: number) => void;
}

/** One restored (or refused) log generation. */
export interface RestoredLog {
  readonly source: string;
  /** Shipped: the path on the host. Object: its key below the source. */
  readonly path: string;
  readonly generation: string;
  readonly kind: 'shipped' | 'object';
  readonly archives: readonly string[];
  readonly members: readonly string[];
  /** Length of the restored file (holes included). */
  readonly bytes: number;
  readonly written: boolean;
  /** Where it was written. */
  readonly file?: string;
  readonly renamed?: boolean;
  readonly shortened?: boolean;
  readonly gaps: readonly GapReport[];
  readonly failures: readonly string[];
  /** Where a v1 archive's unauthenticated metadata disagrees with what it proved. */
  readonly notes: readonly string[];
}

export interface LogRestoreReport {
  readonly logs: readonly RestoredLog[];
  /** Batches a later batch names as `prev` that no archive holds. */
  readonly missing: readonly MissingBatch[];
  /** Packs the ledger names for the source that are gone before their expiry. */
  readonly gonePacks: readonly GonePack[];
  /** v1 archives of whole objects whose authenticated time or key fell outside the selection. */
  readonly notSelected: number;
}

interface Candidate {
  readonly log: Omit<RestoredLog, 'written' | 'file' | 'renamed' | 'shortened'>;
  readonly tmp?: string;
  readonly naming?: { originalKey: string; modified: Date; id: string; label?: string };
}

/**
 * Restores the logs of one source under `dir`: every selected generation reassembled into one
 * file from its proven members (see gather.ts for what is selected), and every v1 archive of a
 * whole object decoded as before packs. Generations with a failed check are never written; with
 * gaps, only when `allowGaps`. All files are named together at the end (restore-names.ts) and
 * moved into place without following links or replacing anything (output-dir.ts).
 */
export async function restoreLogs(
  deps: ReadDeps & { readonly ledger?: LedgerDeps },
  source: string,
  dir: string,
  opts: LogRestoreOptions,
): Promise<LogRestoreReport> {
  const root = await openOutputRoot(dir);
  const gathered = await gatherLogs(deps, source, opts, opts.prepare ? { prepare: opts.prepare } : {});
  return restoreGenerations(deps, root, {
    source,
    generations: gathered.generations,
    missing: gathered.missing,
    gonePacks: gathered.gonePacks,
    v1Objects: gathered.v1Objects.map((e) => e.archiveKey),
    opts,
  });
}

/**
 * Restores every member a pack holds, grouped into generations (its index says which; a group's
 * context proves the index). Bytes of those generations held by other archives are reported as
 * not in this one, and do not make the restore fail.
 */
export async function restorePack(
  deps: ReadDeps,
  packKey: string,
  dir: string,
  opts: Pick<LogRestoreOptions, 'owners' | 'prepare'> = {},
): Promise<LogRestoreReport> {
  const root = await openOutputRoot(dir);
  await opts.prepare?.(packKey);
  const pack = await openPack(deps, packKey);
  const members = pack.index.members.map((m) => fromPackEntry(packKey, m));
  const report = await restoreGenerations(deps, root, {
    generations: buildGenerations(members),
    missing: [],
    gonePacks: [],
    v1Objects: [],
    opts: { ...opts, allowGaps: true },
  });
  return {
    ...report,
    logs: report.logs.map((l) => ({
      ...l,
      gaps: l.gaps.map((g) => (g.why === IN_NO_ARCHIVE ? { ...g, why: 'not in this archive' } : g)),
    })),
  };
}

/** What the authenticated record of a member must say for this restore to use it. */
function trusted(m: LogMember, deps: ReadDeps, source: string | undefined): string | undefined {
  if (source !== undefined && m.source !== source)
    return `${m.archive}: member ${m.id} is of source ${JSON.stringify(m.source)}, not ${source}`;
  if (m.kind !== 'object') return undefined;
  if (m.bucket !== deps.ingestBucket)
    return `${m.archive}: member ${m.id} names bucket ${JSON.stringify(m.bucket)}, not the stack's ingest bucket`;
  if (splitSourceKey(m.key).source !== m.source)
    return `${m.archive}: member ${m.id}'s key ${JSON.stringify(m.key)} is not under its source ${m.source}`;
  return undefined;
}

async function restoreGenerations(
  deps: ReadDeps,
  root: string,
  input: {
    source?: string;
    generations: readonly LogGeneration[];
    missing: readonly MissingBatch[];
    gonePacks: readonly GonePack[];
    v1Objects: readonly string[];
    opts: LogRestoreOptions;
  },
): Promise<LogRestoreReport> {
  const { opts } = input;
  const reassembly = new Reassembly(root);
  const temps: string[] = [];
  const candidates: Candidate[] = [];
  let notSelected = 0;
  try {
    for (const key of input.v1Objects) {
      const outcome = await decodeToTemp(deps, key, root, {
        ...(input.source !== undefined ? { source: input.source } : {}),
        ...(opts.path !== undefined ? { path: opts.path } : {}),
        ...(opts.from ? { from: opts.from } : {}),
        ...(opts.to ? { to: opts.to } : {}),
        ...(opts.prepare ? { prepare: opts.prepare } : {}),
      });
      opts.onArchive?.(key, 0);
      candidates.push(...v1Candidate(key, outcome, temps, () => notSelected++));
    }
    const proven: LogMember[] = [];
    const refused = new Map<string, ReadFailure>();
    const unreadable = await readMembers(deps, readsByArchive(input.generations), {
      ...(opts.prepare ? { prepare: opts.prepare } : {}),
      ...(opts.onArchive ? { onArchive: opts.onArchive } : {}),
      deliver: async ({ member, bytes }) => {
        const why = trusted(member, deps, input.source);
        if (why) {
          refused.set(member.id, { kind: 'failed', why });
          return;
        }
        proven.push(member);
        if (member.kind === 'gap') return;
        const at = member.kind === 'segment' ? member.start : 0;
        const batch = member.kind === 'segment' ? { batch: member.batch } : {};
        await reassembly.write(memberGenerationKey(member), at, { id: member.id, ...batch }, bytes);
      },
    });
    for (const [id, f] of refused) unreadable.set(id, f);
    // The proven records come last, so what the authenticated index says wins (see buildGenerations).
    const wanted = new Set(input.generations.map(generationKey));
    const rebuilt = buildGenerations([...membersOf(input.generations), ...proven]).filter((g) =>
      wanted.has(generationKey(g)),
    );
    for (const g of rebuilt) {
      const key = generationKey(g);
      const verdict = judge(g, { unreadable, disagreements: reassembly.disagreements(key) }, opts);
      const log = describe(g, verdict);
      if (!verdict.write) {
        candidates.push({ log });
        continue;
      }
      const tmp = await reassembly.finish(key, attributes(g, opts));
      candidates.push({ log, tmp, naming: namingOf(g) });
    }
    return {
      logs: await placeAll(root, candidates),
      missing: input.missing,
      gonePacks: input.gonePacks,
      notSelected,
    };
  } finally {
    await reassembly.cleanup();
    await Promise.all(temps.map((t) => rm(t, { force: true })));
  }
}

function describe(
  g: LogGeneration,
  verdict: { gaps: readonly GapReport[]; failures: readonly string[] },
): Candidate['log'] {
  return {
    source: g.source,
    path: g.path,
    generation: g.generation,
    kind: g.kind,
    archives: g.archives,
    members: membersOf([g]).map((m) => m.id),
    bytes: g.extent,
    gaps: verdict.gaps,
    failures: verdict.failures,
    notes: [],
  };
}

function attributes(g: LogGeneration, opts: Pick<LogRestoreOptions, 'owners'>): FileAttributes {
  if (g.kind === 'object') return { extent: g.extent };
  const asRoot = process.getuid?.() === 0;
  return {
    extent: g.extent,
    ...(g.mode !== undefined ? { mode: g.mode } : {}),
    ...(g.mtime !== undefined ? { mtime: g.mtime } : {}),
    ...(opts.owners && asRoot && g.uid !== undefined && g.gid !== undefined
      ? { owner: { uid: g.uid, gid: g.gid } }
      : {}),
  };
}

/** How a generation is named: shipped ones by `<source>/<path>` and their generation id. */
function namingOf(g: LogGeneration): NonNullable<Candidate['naming']> {
  if (g.kind === 'object') {
    const modified = new Date(g.member.modified);
    return { originalKey: g.member.key, modified, id: g.member.id, label: objectGenerationId(modified) };
  }
  return {
    originalKey: `${g.source}/${g.path}`,
    modified: new Date(g.firstTime),
    id: g.segments[0]?.id ?? g.generation,
    label: g.generation,
  };
}

function v1Candidate(
  key: string,
  outcome: Omit<Proved, 'index'> | RestoreResult,
  temps: string[],
  skip: () => void,
): Candidate[] {
  if ('tmp' in outcome) {
    temps.push(outcome.tmp);
    const { source, relative } = splitSourceKey(outcome.decoded.originalKey);
    const modified = namingTime({ ...outcome.decoded, day: outcome.day });
    const log = {
      source,
      path: relative,
      generation: objectGenerationId(modified),
      kind: 'object' as const,
      archives: [key],
      members: [],
      bytes: outcome.decoded.bytes,
      gaps: [],
      failures: [],
      notes: metadataNotes(outcome.decoded.metadata, { ...outcome.decoded, day: outcome.day }),
    };
    return [
      {
        log,
        tmp: outcome.tmp,
        naming: { originalKey: outcome.decoded.originalKey, modified, id: outcome.id },
      },
    ];
  }
  if (outcome.status === 'failed') {
    const parsed = parseArchiveKey(key);
    const log = {
      source: parsed?.source ?? '?',
      path: parsed?.relative ?? key,
      generation: '?',
      kind: 'object' as const,
      archives: [key],
      members: [],
      bytes: 0,
      gaps: [],
      failures: [outcome.error.message],
      notes: [],
    };
    return [{ log }];
  }
  skip();
  return [];
}

/** Names every file of the restore together, then links each into place. */
async function placeAll(root: string, candidates: readonly Candidate[]): Promise<RestoredLog[]> {
  const out: RestoredLog[] = [];
  const nameable = candidates.filter((c) => {
    if (!c.tmp || !c.naming) return false;
    try {
      keySegments(c.naming.originalKey);
      return true;
    } catch (error) {
      out.push({ ...c.log, written: false, failures: [...c.log.failures, (error as Error).message] });
      return false;
    }
  });
  const names = restoreNames(nameable.map((c) => c.naming as NonNullable<Candidate['naming']>));
  for (const [i, c] of nameable.entries()) {
    const name = names[i] as RestoreName;
    try {
      const file = await placeFile(root, name.segments, c.tmp as string);
      out.push({ ...c.log, written: true, file, renamed: name.renamed, shortened: name.shortened });
    } catch (error) {
      out.push({ ...c.log, written: false, failures: [...c.log.failures, (error as Error).message] });
    }
  }
  for (const c of candidates) if (!c.tmp) out.push({ ...c.log, written: false });
  return out.sort((a, b) => (a.source + a.path + a.generation < b.source + b.path + b.generation ? -1 : 1));
}
