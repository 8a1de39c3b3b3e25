import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { EXPIRY_PREFIX, expiryIndexKey, utcDay } from '#shared/archive/layout.ts';
import type { LedgerDeps } from '#shared/archive/member-ledger.ts';
import { mapLimit } from '../map-limit.ts';
import { type ArchiveHead, clockWentBack, type Decision, decide } from './decide.ts';
import { deleteVersions, type VersionRef } from './delete-batch.ts';
import { dueDays, type IndexEntry, indexEntries } from './expiry-index.ts';
import { forgetMembersOf, keepMembersOf } from './forget-members.ts';
import { headArchive } from './head.ts';
import { emptyReport, type SweepReport, storeReport } from './report.ts';
import { loadState, type PendingEntry, type SweepState, saveState } from './state.ts';

export interface SweepOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /**
   * The member ledger: the members of a pack (or of a whole batch) are forgotten there before it is
   * deleted. Without it such archives are kept (and reported failed); others are swept as ever.
   */
  readonly ledger?: LedgerDeps;
  readonly now: Date;
  /** List and decide, but write and delete nothing. */
  readonly dryRun?: boolean;
  /** Asked between chunks; true makes the run save its checkpoint and return `complete: false`. */
  readonly shouldStop?: () => boolean;
  readonly runId?: string;
  readonly log?: (message: string, detail?: Record<string, unknown>) => void;
}

const HEAD_CONCURRENCY = 16;
const CHUNK = 250;

const dayAfter = (d: Date) => new Date(d.getTime() + 86_400_000);
const pendingOf = (e: IndexEntry) => ({
  archiveKey: e.archiveKey,
  indexKey: e.indexKey,
  indexVersions: [...e.versionIds],
});
const refsOf = (e: IndexEntry): VersionRef[] => e.versionIds.map((v) => ({ Key: e.indexKey, VersionId: v }));

/**
 * One sweep run: resolves the pending entries of earlier runs, then every expiry-index day that is
 * due and not yet swept. See docs/retention.md for the checkpoint and held-object rules.
 */
export async function runSweep(opts: SweepOptions): Promise<SweepReport> {
  const { s3, bucket, now } = opts;
  const ledgerDeps = { s3, bucket, ...(opts.ledger ? { ledger: opts.ledger } : {}) };
  const dryRun = Boolean(opts.dryRun);
  const log = opts.log ?? (() => undefined);
  const report = emptyReport(opts.runId ?? randomUUID(), now, dryRun);
  const state = await loadState(s3, bucket);
  if (clockWentBack(now, state.lastRunAt)) {
    report.refused = true;
    log('clock reads earlier than the last run; refusing to delete', {
      now: report.now,
      lastRunAt: state.lastRunAt,
    });
    if (!dryRun) await storeReport(s3, bucket, report);
    return report;
  }
  const today = utcDay(now);
  const pending: PendingEntry[] = [];
  const skipKeys = new Set(state.pending.map((p) => p.indexKey));
  // Archives an earlier run kept for a hold: a released pack's ledger entries lost their TTL then.
  const heldBefore = new Set(state.pending.filter((p) => p.reason === 'held').map((p) => p.archiveKey));

  const resolveChunk = async (entries: IndexEntry[]) => {
    const heads = await mapLimit(
      entries,
      HEAD_CONCURRENCY,
      async (e): Promise<ArchiveHead | Error> =>
        headArchive(s3, bucket, e.archiveKey).catch((error: Error) => error),
    );
    const archives: VersionRef[] = [];
    const held: string[] = [];
    const indexDeletes: VersionRef[] = [];
    const byArchive = new Map<string, { entry: IndexEntry; size: number }>();
    for (const [i, entry] of entries.entries()) {
      const head = heads[i] as ArchiveHead | Error;
      report.scanned += 1;
      if (head instanceof Error) {
        report.failed += 1;
        report.failures.push({ key: entry.archiveKey, code: head.name, message: head.message });
        pending.push({
          ...pendingOf(entry),
          reason: 'failed',
          error: head.name,
        });
        continue;
      }
      const d: Decision = decide(head, now);
      if (d.action === 'delete') {
        report.expired += 1;
        archives.push({ Key: entry.archiveKey, VersionId: head.versionId as string });
        byArchive.set(entry.archiveKey, { entry, size: head.size ?? 0 });
      } else if (d.action === 'missing') {
        report.staleIndexEntries += 1;
        indexDeletes.push(...refsOf(entry));
      } else if (d.action === 'held') {
        report.skipped.held += 1;
        report.keptKeys.push({ archiveKey: entry.archiveKey, reason: 'held' });
        pending.push({ ...pendingOf(entry), reason: 'held' });
        held.push(entry.archiveKey);
      } else {
        if (d.action === 'locked') {
          report.skipped.locked += 1;
          report.keptKeys.push({ archiveKey: entry.archiveKey, reason: 'locked' });
        } else report.skipped.notExpired += 1;
        // Re-indexed under the day it may next go, so today's partition can be closed.
        const until = d.action === 'locked' ? dayAfter(d.until) : d.until;
        const moved = until ? expiryIndexKey(until, entry.archiveKey) : undefined;
        if (moved === entry.indexKey) continue;
        if (moved && !dryRun)
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: moved, Body: '', ContentLength: 0 }));
        indexDeletes.push(...refsOf(entry));
      }
    }
    if (dryRun) {
      for (const a of archives) {
        report.wouldDelete += 1;
        report.bytesWouldFree += byArchive.get(a.Key)?.size ?? 0;
        report.wouldDeleteKeys.push(a.Key);
      }
      return;
    }
    // A held pack stays past its expiry: so do its ledger entries. A failure is logged and tried
    // again next run (a held archive is re-checked every run), well before the entries' TTL.
    await mapLimit(held, HEAD_CONCURRENCY, (key) =>
      keepMembersOf(ledgerDeps, key).catch((error: Error) =>
        log('could not keep the ledger entries of a held pack', { key, error: error.message }),
      ),
    );
    // Members are forgotten before their archive goes: an archive whose members cannot be is
    // kept for the next run, so the ledger never points at an archive the sweeper deleted.
    const forgotten = await mapLimit(archives, HEAD_CONCURRENCY, (a) =>
      forgetMembersOf(ledgerDeps, a.Key, heldBefore.has(a.Key)).then(
        () => undefined,
        (error: Error) => error,
      ),
    );
    const deletable = archives.filter((a, i) => {
      const error = forgotten[i];
      const hit = byArchive.get(a.Key);
      if (!error || !hit) return true;
      report.failed += 1;
      report.failures.push({ key: a.Key, code: error.name, message: error.message });
      pending.push({ ...pendingOf(hit.entry), reason: 'failed', error: error.name });
      return false;
    });
    const gone = await deleteVersions(s3, bucket, deletable);
    for (const f of gone.failed) {
      report.failed += 1;
      report.failures.push(f);
      const hit = byArchive.get(f.key);
      if (hit) pending.push({ ...pendingOf(hit.entry), reason: 'failed', error: f.code });
    }
    for (const a of gone.deleted) {
      const hit = byArchive.get(a.Key);
      if (!hit) continue;
      report.deleted += 1;
      report.bytesFreed += hit.size;
      report.deletedKeys.push(a.Key);
      indexDeletes.push(...refsOf(hit.entry));
    }
    const unindexed = await deleteVersions(s3, bucket, indexDeletes);
    for (const f of unindexed.failed) {
      // The archive is gone or re-indexed; the stale entry is retried from the pending list.
      report.failures.push(f);
      report.failed += 1;
      const archiveKey = f.key.slice(EXPIRY_PREFIX.length + 'YYYY-MM-DD/'.length);
      pending.push({
        archiveKey,
        indexKey: f.key,
        indexVersions: [f.versionId ?? 'null'],
        reason: 'failed',
        error: f.code,
      });
    }
  };

  const checkpoint = async (sweptThrough: string | undefined, complete: boolean) => {
    report.complete = complete;
    if (dryRun) return;
    const seen = new Set(pending.map((p) => p.indexKey));
    const next: SweepState = {
      version: 1,
      ...(sweptThrough ? { sweptThrough } : {}),
      lastRunAt: now.toISOString(),
      // Entries this run has not reached yet stay pending.
      pending: [
        ...pending,
        ...state.pending.filter((p) => !seen.has(p.indexKey) && !resolved.has(p.indexKey)),
      ],
    };
    await saveState(s3, bucket, next);
    await storeReport(s3, bucket, report);
  };

  // 1. Earlier runs' held objects and failures, re-checked first.
  const resolved = new Set<string>();
  for (let i = 0; i < state.pending.length; i += CHUNK) {
    const batch = state.pending.slice(i, i + CHUNK);
    // Pending entries carry their index versions, so re-checking them needs no listing.
    for (const p of batch) resolved.add(p.indexKey);
    await resolveChunk(
      batch.map((p) => ({ indexKey: p.indexKey, archiveKey: p.archiveKey, versionIds: p.indexVersions })),
    );
    if (opts.shouldStop?.()) {
      await checkpoint(state.sweptThrough, false);
      return report;
    }
  }

  // 2. Due days, oldest first. A day is closed only once every entry is resolved, and never today.
  let sweptThrough = state.sweptThrough;
  for await (const day of dueDays(s3, bucket, state.sweptThrough, today)) {
    report.days.push(day);
    for await (const page of indexEntries(s3, bucket, `${EXPIRY_PREFIX}${day}/`)) {
      const fresh = page.filter((e) => !skipKeys.has(e.indexKey));
      for (let i = 0; i < fresh.length; i += CHUNK) {
        await resolveChunk(fresh.slice(i, i + CHUNK));
        if (opts.shouldStop?.()) {
          log('deadline near; checkpointing', { day, sweptThrough });
          await checkpoint(sweptThrough, false);
          return report;
        }
      }
    }
    if (day < today) sweptThrough = day;
  }
  await checkpoint(sweptThrough, true);
  log('sweep finished', { ...report, deletedKeys: undefined, keptKeys: undefined, failures: undefined });
  return report;
}
