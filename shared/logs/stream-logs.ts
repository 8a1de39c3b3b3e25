import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { splitSourceKey } from '../archive/layout.ts';
import type { GonePack, LedgerDeps } from '../archive/member-ledger.ts';
import { decodeArchive, type ReadDeps } from '../archive/open-archive.ts';
import { restoreCheck } from '../archive/restore.ts';
import { NotSelectedError, OutsideRangeError } from '../errors.ts';
import { objectGenerationId } from '../segments/identity.ts';
import { gatherLogs } from './gather.ts';
import type { LogGeneration, MissingBatch } from './generations.ts';
import { InOrder } from './in-order.ts';
import { type GapReport, judge, readsByArchive } from './plan.ts';
import { readMembers } from './read-archives.ts';
import type { LogSelection } from './select.ts';

/** Which log bytes come from, for a consumer that labels them (grep). */
export interface LogLabel {
  readonly source: string;
  readonly path: string;
  readonly generation: string;
}

export interface StreamedLog extends LogLabel {
  readonly archives: readonly string[];
  readonly bytes: number;
  readonly gaps: readonly GapReport[];
  readonly failures: readonly string[];
}

export interface StreamReport {
  readonly logs: readonly StreamedLog[];
  readonly missing: readonly MissingBatch[];
  /** Packs the ledger names for the source that are gone before their expiry. */
  readonly gonePacks: readonly GonePack[];
}

export interface StreamOptions extends LogSelection {
  readonly prepare?: (archiveKey: string) => Promise<void>;
  /** Called with each run of proven log bytes, in order; the next waits for it. */
  readonly write: (bytes: Buffer, log: LogLabel) => Promise<void>;
  /** After each log, whatever happened to it. */
  readonly onLog?: (log: StreamedLog) => void;
}

/**
 * Streams a source's logs in order (source, path, generation), each generation's bytes in byte
 * order: a member's bytes are released only once its SHA-256 is proven
 * (members are small: one is held until it is), and members that arrive ahead of the bytes before
 * them wait in memory until those arrive. Holes are skipped and reported. A v1 archive of a whole
 * object is the exception: its digest is proven only at its end, so it goes through a temporary
 * file first (see streamV1), and a mismatch sends none of its bytes.
 */
export async function streamLogs(
  deps: ReadDeps & { readonly ledger?: LedgerDeps },
  source: string,
  opts: StreamOptions,
): Promise<StreamReport> {
  const gathered = await gatherLogs(deps, source, opts, opts.prepare ? { prepare: opts.prepare } : {});
  const logs: StreamedLog[] = [];
  const done = (log: StreamedLog) => {
    logs.push(log);
    opts.onLog?.(log);
  };
  for (const g of gathered.generations) done(await streamGeneration(deps, g, opts));
  for (const { archiveKey } of gathered.v1Objects) {
    const log = await streamV1(deps, archiveKey, source, opts);
    if (log) done(log);
  }
  return { logs, missing: gathered.missing, gonePacks: gathered.gonePacks };
}

async function streamGeneration(deps: ReadDeps, g: LogGeneration, opts: StreamOptions): Promise<StreamedLog> {
  const label = { source: g.source, path: g.path, generation: g.generation };
  const order = new InOrder();
  const send = async (chunks: readonly Buffer[]) => {
    for (const c of chunks) await opts.write(c, label);
  };
  const unreadable = await readMembers(deps, readsByArchive([g]), {
    ...(opts.prepare ? { prepare: opts.prepare } : {}),
    deliver: async ({ member, bytes }) => {
      if (member.kind === 'gap') return;
      await send(order.push(member.kind === 'segment' ? member.start : 0, bytes));
    },
  });
  // What remains waits behind a hole: sent in order after it (the hole is reported).
  await send(order.drain().map((r) => r.bytes));
  const verdict = judge(g, { unreadable }, { allowGaps: true });
  return { ...label, archives: g.archives, bytes: g.extent, gaps: verdict.gaps, failures: verdict.failures };
}

/**
 * A v1 archive's digest is proven only at its end, so its bytes are spooled to a private temporary
 * file and sent only once proven: whoever reads `cat` or `grep` never sees bytes that turn out not
 * to be the log's. The spool is as large as the log and removed whatever happens.
 */
async function streamV1(
  deps: ReadDeps,
  key: string,
  source: string,
  opts: StreamOptions,
): Promise<StreamedLog | undefined> {
  let label: LogLabel = { source, path: key, generation: '?' };
  const dir = await mkdtemp(join(tmpdir(), 'logvault-spool-'));
  const spool = join(dir, 'log');
  const check = restoreCheck({
    source,
    ...(opts.path !== undefined ? { path: opts.path } : {}),
    ...(opts.from ? { from: opts.from } : {}),
    ...(opts.to ? { to: opts.to } : {}),
  });
  try {
    await opts.prepare?.(key);
    const decoded = await decodeArchive(deps, key, createWriteStream(spool, { mode: 0o600 }), (proved) => {
      check(proved);
      const generation = proved.modified ? objectGenerationId(proved.modified) : '?';
      label = { source, path: splitSourceKey(proved.key).relative, generation };
    });
    for await (const chunk of createReadStream(spool, { highWaterMark: 1024 * 1024 }))
      await opts.write(chunk as Buffer, label);
    return { ...label, archives: [key], bytes: decoded.bytes, gaps: [], failures: [] };
  } catch (error) {
    if (error instanceof OutsideRangeError || error instanceof NotSelectedError) return undefined;
    return { ...label, archives: [key], bytes: 0, gaps: [], failures: [(error as Error).message] };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
