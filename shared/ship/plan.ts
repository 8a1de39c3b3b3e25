import type { BatchGap } from '../segments/batch-format.ts';
import { MAX_ENTRIES } from '../segments/batch-format.ts';
import { shippedGenerationId } from '../segments/identity.ts';
import { locate } from './locate.ts';
import {
  FINGERPRINT_BYTES,
  gzipKey,
  headMatches,
  MAX_LINE_BYTES,
  type ObservedContent,
  type ObservedFile,
} from './observed.ts';
import { isRotatedCopy, patternCovers, rotatedFrom, type ScanPattern } from './paths.ts';
import type { FileRecord, KnownCopy, ShipState, TrackedGeneration } from './state.ts';

/**
 * The shipper's rules, as one pure decision: the state, what the scan saw and the time in; the
 * byte ranges to send, the gaps to report and the state after the batch out. See README "Shipping".
 */

/** A vanished generation is remembered this long, so a copy of it that turns up is still known. */
export const FORGET_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
/** What one run sends at most: the rest waits for the next run. */
export const DEFAULT_BUDGET = { bytes: 256 * 1024 * 1024, entries: MAX_ENTRIES } as const;

export interface PlanInput {
  readonly state: Pick<ShipState, 'generations' | 'copies'>;
  /** True on the first run on a host (no state yet). */
  readonly firstContact: boolean;
  /** On first contact, also send the files that were already rotated. */
  readonly backfill: boolean;
  readonly files: readonly ObservedFile[];
  /** What was looked for: a vanished file outside these was not looked for, so it is not lost. */
  readonly patterns: readonly ScanPattern[];
  readonly now: Date;
  readonly budget?: { readonly bytes: number; readonly entries: number };
}

/** Bytes [start, end) of a generation, to be read from `file` (decompressed when it is gzip). */
export interface PlannedRead {
  readonly generation: string;
  /** The log's own path. */
  readonly path: string;
  readonly file: ObservedFile;
  readonly start: number;
  readonly end: number;
}

export interface Plan {
  readonly reads: readonly PlannedRead[];
  readonly gaps: readonly BatchGap[];
  /** Every tracked generation after this batch, as if every read succeeds. */
  readonly generations: readonly TrackedGeneration[];
  readonly copies: readonly KnownCopy[];
  /** Generations this batch reports on (sends, loses or closes), in the order they are listed. */
  readonly touched: readonly string[];
  /** Bytes seen but held back: a partial last line, or what did not fit in this run. */
  readonly heldBack: number;
}

/** Lengths the scan must fingerprint each file at, so tracked generations can be re-checked. */
export function fingerprintLengths(state: Pick<ShipState, 'generations'>): number[] {
  return [...new Set(state.generations.map((g) => g.fingerprint.length))];
}

/** Gzip files the state knows unchanged: the scan need not decompress them again. */
export function knownGzip(state: Pick<ShipState, 'generations' | 'copies'>): Set<string> {
  return new Set([
    ...state.generations.filter((g) => g.file.gzip).map((g) => gzipKey(g.file)),
    ...state.copies.map(gzipKey),
  ]);
}

/**
 * Where a complete-lines-only read of [start, available) ends: after the last newline, or `start`
 * (nothing) while the only line is still being written. A file with no newline in its last
 * MAX_LINE_BYTES is not made of lines and is read to its end.
 */
export function completeLinesEnd(content: ObservedContent, start: number): number {
  if (content.lineEnd !== undefined) return Math.max(start, content.lineEnd);
  return content.length - start > MAX_LINE_BYTES ? content.length : start;
}

function record(f: ObservedFile, size: number): FileRecord {
  const { path, dev, ino, gzip, bytes, mtimeMs, mode, uid, gid } = f;
  return { path, dev, ino, gzip, bytes, size, mtimeMs, mode, uid, gid };
}

/** The longest fingerprint the content allows, if it is longer than the one recorded. */
function extended(
  g: TrackedGeneration,
  content: ObservedContent | undefined,
): TrackedGeneration['fingerprint'] {
  if (!content || g.fingerprint.length >= FINGERPRINT_BYTES) return g.fingerprint;
  const length = Math.min(content.length, FINGERPRINT_BYTES);
  const sha256 = content.heads[String(length)];
  return length > g.fingerprint.length && sha256 ? { length, sha256 } : g.fingerprint;
}

export function plan(input: PlanInput): Plan {
  const { state, files, now } = input;
  const budget = { ...(input.budget ?? DEFAULT_BUDGET) };
  const located = locate(state.generations, files, state.copies);
  const reads: PlannedRead[] = [];
  const gaps: BatchGap[] = [];
  const touched: string[] = [];
  const next: TrackedGeneration[] = [];
  let heldBack = 0;

  /** Decides what to send of a generation now held by `f`, and returns its next record. */
  const ship = (
    g: TrackedGeneration,
    f: ObservedFile,
    available: number,
    isNew: boolean,
  ): TrackedGeneration => {
    const start = g.through;
    const away = f.path !== g.path;
    // Stopped growing: the same file as last run at the same length, or a gzip, which is written once.
    const stopped =
      f.gzip || (!isNew && f.dev === g.file.dev && f.ino === g.file.ino && available === g.file.size);
    const final = f.gzip || (away && stopped);
    let end = final || !f.content ? available : completeLinesEnd(f.content, start);
    if (reads.length + gaps.length >= budget.entries) end = start;
    end = Math.min(end, start + budget.bytes);
    heldBack += available - end;
    if (end > start) {
      reads.push({ generation: g.generation, path: g.path, file: f, start, end });
      budget.bytes -= end - start;
    }
    const closed = final && end === available;
    if (end > start || (closed && !g.closed)) touched.push(g.generation);
    const { missingSince: _, ...rest } = g;
    return { ...rest, through: end, closed, file: record(f, available), fingerprint: extended(g, f.content) };
  };

  const ordered = [...state.generations].sort((a, b) => (a.generation < b.generation ? -1 : 1));
  for (const g of ordered) {
    const at = located.carriers.get(g.generation);
    if (at !== undefined) {
      next.push(ship(g, files[at.index] as ObservedFile, at.length, false));
      continue;
    }
    if (g.missingSince) {
      if (now.getTime() - Date.parse(g.missingSince) <= FORGET_AFTER_MS) next.push(g);
      continue;
    }
    if (!input.patterns.some((p) => patternCovers(p, g.file.path))) {
      next.push(g);
      continue;
    }
    // Gone: what was seen of it and not yet sent is lost on the host, and said so.
    const reason =
      located.replaced.get(g.generation) ?? (located.corrupt.has(g.generation) ? 'unreadable' : 'deleted');
    if (g.file.size > g.through) {
      if (gaps.length + reads.length >= budget.entries) {
        next.push(g);
        continue;
      }
      gaps.push({ path: g.path, generation: g.generation, start: g.through, end: g.file.size, reason });
      touched.push(g.generation);
    } else if (!g.closed) touched.push(g.generation);
    next.push({
      ...g,
      through: Math.max(g.through, g.file.size),
      closed: true,
      missingSince: now.toISOString(),
    });
  }

  // Files no generation claimed: copies of known content, or new generations.
  const copies: KnownCopy[] = [];
  const seenKeys = new Set(files.filter((f) => f.gzip).map(gzipKey));
  for (const c of state.copies) if (seenKeys.has(gzipKey(c))) copies.push(c);
  const present = new Set(files.map((f) => f.path));
  const unclaimed = files
    .map((f, i) => ({ f, i }))
    .filter(({ i }) => !located.claimed.has(i))
    .sort((a, b) => Number(a.f.gzip) - Number(b.f.gzip) || (a.f.path < b.f.path ? -1 : 1));
  for (const { f } of unclaimed) {
    const content = f.content;
    // Empty files wait for content; a gzip that does not decode to its end is not read as new.
    if (!content || content.length === 0 || !content.complete) continue;
    const of = next.find((g) => headMatches(content, g.fingerprint));
    if (of) {
      if (f.gzip && !copies.some((c) => gzipKey(c) === gzipKey(f))) {
        copies.push({
          generation: of.generation,
          dev: f.dev,
          ino: f.ino,
          bytes: f.bytes,
          size: content.length,
          mtimeMs: f.mtimeMs,
        });
      }
      continue;
    }
    const rotated = f.gzip || isRotatedCopy(f.path, present);
    const length = Math.min(content.length, FINGERPRINT_BYTES);
    const fingerprint = { length, sha256: content.heads[String(length)] as string };
    // An already-rotated file was written before now: its modification time orders it among its log's generations.
    const firstSeen = new Date(rotated ? Math.min(now.getTime(), f.mtimeMs) : now.getTime());
    const generation = shippedGenerationId(firstSeen, {
      dev: f.dev,
      ino: f.ino,
      fingerprint: fingerprint.sha256,
    });
    const g: TrackedGeneration = {
      path: rotated ? rotatedFrom(f.path) : f.path,
      generation,
      firstSeen: firstSeen.toISOString(),
      fingerprint,
      through: 0,
      closed: false,
      file: record(f, 0),
    };
    if (input.firstContact && rotated && !input.backfill) {
      // Already rotated when logvault arrived: recorded as seen, not sent.
      next.push({ ...g, through: content.length, closed: true, file: record(f, content.length) });
      continue;
    }
    next.push(ship(g, f, content.length, true));
  }

  return { reads, gaps, generations: next, copies, touched, heldBack };
}
