import { closeSync, createReadStream, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import {
  type BatchHeader,
  batchMemberIds,
  batchObjectKey,
  encodeBatchPrefix,
  segmentBytes,
} from '../segments/batch-format.ts';
import { buildBatch, degradeBatch } from './batch.ts';
import { locate } from './locate.ts';
import { acquireLock } from './lock.ts';
import type { ObservedFile } from './observed.ts';
import type { ScanPattern } from './paths.ts';
import { fingerprintLengths, knownGzip, plan } from './plan.ts';
import { readRange } from './read-range.ts';
import { scan } from './scan.ts';
import { emptyState, ensureStateDir, readState, type ShipState, writeState } from './state.ts';

/**
 * One run of a shipper, the instance's and `logvault ship`'s alike: lock, read the state, send
 * again a batch an earlier run could not confirm (and stop there), or else scan, plan, read the
 * planned ranges, record the batch as pending, upload it, and record it as sent.
 */

/** A batch object's body, which can be opened more than once (each upload attempt reads it anew). */
export interface BatchBody {
  readonly length: number;
  open(): Readable;
}

/** Puts the body at the key; resolves only once S3 has acknowledged it. */
export type Uploader = (key: string, body: BatchBody) => Promise<void>;

export interface ShipOptions {
  readonly stateDir: string;
  /** The source the pipeline files the batch under, and the key prefix it is uploaded below. */
  readonly source: string;
  readonly prefix: string;
  readonly host: string;
  readonly patterns: readonly ScanPattern[];
  /** On first contact, also send files that were already rotated. */
  readonly backfill: boolean;
  readonly now?: () => Date;
  readonly budget?: { readonly bytes: number; readonly entries: number };
}

export interface ShipDeps {
  readonly upload: Uploader;
  /** Bytes of log read into the batch so far, for progress. */
  readonly onRead?: (bytes: number) => void;
}

export interface ShipResult {
  readonly firstContact: boolean;
  /** The batch sent, if any. */
  readonly batch?: {
    readonly key: string;
    readonly objectBytes: number;
    readonly logBytes: number;
    readonly segments: number;
    readonly gaps: number;
    /** The ids of the segments and gaps it carries, as the member ledger will list them once archived. */
    readonly members: readonly string[];
  };
  /** True when the run sent again a batch an earlier run could not confirm, and nothing new. */
  readonly resent: boolean;
  /** Files looked at. */
  readonly files: number;
  /** Bytes seen but left for a later run (a partial last line, or over the run's budget). */
  readonly heldBack: number;
  readonly problems: readonly string[];
}

/** Collects segment bytes in a file in the state directory, in batch order. */
class Spool {
  readonly path: string;
  #fd: number;
  length = 0;
  constructor(dir: string) {
    this.path = join(dir, 'batch.spool');
    this.#fd = openSync(this.path, 'w', 0o600);
  }
  write = (chunk: Buffer) => {
    writeSync(this.#fd, chunk);
    this.length += chunk.length;
  };
  /** Drops whatever was written since `length` was `to`. */
  rewind(to: number) {
    ftruncateSync(this.#fd, to);
    this.length = to;
  }
  close() {
    closeSync(this.#fd);
  }
  body(header: BatchHeader): BatchBody {
    const prefix = encodeBatchPrefix(header);
    return {
      length: prefix.length + this.length,
      open: () => {
        const out = new PassThrough();
        out.write(prefix);
        createReadStream(this.path)
          .on('error', (error) => out.destroy(error))
          .pipe(out);
        return out;
      },
    };
  }
}

async function readInto(
  spool: Spool,
  reads: readonly { file: ObservedFile; start: number; end: number }[],
  onRead?: (bytes: number) => void,
): Promise<(string | undefined)[]> {
  const digests: (string | undefined)[] = [];
  for (const r of reads) {
    const mark = spool.length;
    const digest = await readRange(r.file, r.start, r.end, (chunk) => {
      spool.write(chunk);
      onRead?.(chunk.length);
    });
    if (!digest) spool.rewind(mark);
    digests.push(digest);
  }
  return digests;
}

async function send(
  opts: ShipOptions,
  deps: ShipDeps,
  state: ShipState,
  header: BatchHeader,
  spool: Spool,
): Promise<NonNullable<ShipResult['batch']>> {
  const key = batchObjectKey(opts.prefix, header.batch);
  // Recorded before the upload: if this run dies after S3 has the batch, the next run sends the same one.
  writeState(opts.stateDir, { ...state, pending: { key, header } });
  const body = spool.body(header);
  await deps.upload(key, body);
  writeState(opts.stateDir, { ...state, pending: null, prev: header.batch });
  return {
    key,
    objectBytes: body.length,
    logBytes: segmentBytes(header),
    segments: header.segments.length,
    gaps: header.gaps.length,
    members: batchMemberIds(header),
  };
}

/** Sends the pending batch again, re-reading each segment from its generation's file. */
async function resend(
  opts: ShipOptions,
  deps: ShipDeps,
  state: ShipState,
  files: readonly ObservedFile[],
  spool: Spool,
): Promise<NonNullable<ShipResult['batch']>> {
  const pending = state.pending as NonNullable<ShipState['pending']>;
  const located = locate(state.generations, files, state.copies);
  const reads = pending.header.segments.map((s) => {
    const at = located.carriers.get(s.generation);
    return { file: at && (files[at.index] as ObservedFile), start: s.start, end: s.end, sha256: s.sha256 };
  });
  const unreadable = new Set<number>();
  for (const [i, r] of reads.entries()) {
    const mark = spool.length;
    const digest = r.file ? (await readInto(spool, [{ ...r, file: r.file }], deps.onRead))[0] : undefined;
    if (digest !== r.sha256) {
      spool.rewind(mark);
      unreadable.add(i);
    }
  }
  const header = unreadable.size === 0 ? pending.header : degradeBatch(pending.header, unreadable);
  return send(opts, deps, { ...state, pending: null }, header, spool);
}

export async function shipOnce(opts: ShipOptions, deps: ShipDeps): Promise<ShipResult> {
  const now = (opts.now ?? (() => new Date()))();
  ensureStateDir(opts.stateDir);
  const release = acquireLock(opts.stateDir);
  let spool: Spool | undefined;
  try {
    const existing = readState(opts.stateDir, opts.source, opts.prefix);
    const state = existing ?? emptyState(opts.source, opts.prefix, now);
    const scanned = await scan(opts.patterns, {
      lengths: fingerprintLengths(state),
      knownGzip: knownGzip(state),
    });
    const base = { firstContact: !existing, files: scanned.files.length, problems: scanned.problems };
    spool = new Spool(opts.stateDir);
    if (state.pending) {
      const batch = await resend(opts, deps, state, scanned.files, spool);
      return { ...base, batch, resent: true, heldBack: 0 };
    }
    const planned = plan({
      state,
      firstContact: !existing,
      backfill: opts.backfill,
      files: scanned.files,
      patterns: opts.patterns,
      now,
      ...(opts.budget ? { budget: opts.budget } : {}),
    });
    const digests = await readInto(spool, planned.reads, deps.onRead);
    const { header, generations } = buildBatch(planned, digests, {
      source: opts.source,
      host: opts.host,
      prev: state.prev,
      now,
    });
    const next: ShipState = { ...state, generations, copies: [...planned.copies] };
    if (!header) {
      writeState(opts.stateDir, next);
      return { ...base, resent: false, heldBack: planned.heldBack };
    }
    const batch = await send(opts, deps, next, header, spool);
    return { ...base, batch, resent: false, heldBack: planned.heldBack };
  } finally {
    if (spool) {
      spool.close();
      rmSync(spool.path, { force: true });
    }
    release();
  }
}
