import { createHash } from 'node:crypto';
import type { BatchHeader } from '#shared/segments/batch-format.ts';
import { buildBatch } from '#shared/ship/batch.ts';
import {
  FINGERPRINT_BYTES,
  gzipKey,
  MAX_LINE_BYTES,
  type ObservedContent,
  type ObservedFile,
} from '#shared/ship/observed.ts';
import type { ScanPattern } from '#shared/ship/paths.ts';
import { fingerprintLengths, knownGzip, type Plan, plan } from '#shared/ship/plan.ts';
import { emptyState, type ShipState } from '#shared/ship/state.ts';

export const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** What a scan would say of `data`, at the fingerprint lengths asked for. */
export function contentOf(data: Buffer, lengths: readonly number[], complete = true): ObservedContent {
  const heads: Record<string, string> = {};
  for (const n of new Set([...lengths, Math.min(data.length, FINGERPRINT_BYTES)])) {
    if (n > 0 && n <= data.length) heads[String(n)] = sha(data.subarray(0, n));
  }
  const nl = data.lastIndexOf(0x0a);
  const lineEnd = nl >= 0 && data.length - (nl + 1) < MAX_LINE_BYTES ? nl + 1 : undefined;
  return { length: data.length, heads, complete, ...(lineEnd === undefined ? {} : { lineEnd }) };
}

interface HostFile {
  ino: number;
  data: Buffer;
  gzip: boolean;
  mtimeMs: number;
  /** A gzip stream that breaks off after `data`. */
  corrupt?: boolean;
}

/**
 * A host's log directory in memory: the file operations logs go through (append, rename,
 * copytruncate, gzip, delete), and runs of the shipper's decision over what a scan would see.
 */
export class Host {
  readonly files = new Map<string, HostFile>();
  #ino = 100;
  clock = Date.parse('2026-11-26T08:00:00Z');
  state: ShipState = emptyState('web', 'web', new Date(this.clock));
  firstContact = true;
  readonly batches: BatchHeader[] = [];
  /** Bytes read for each segment sent, by SHA-256. */
  readonly contents = new Map<string, Buffer>();
  patterns: ScanPattern[] = [{ glob: '/var/log/*' }];

  write(path: string, text: string | Buffer, ino = this.#ino++): void {
    this.files.set(path, { ino, data: Buffer.from(text), gzip: false, mtimeMs: this.clock });
  }
  append(path: string, text: string): void {
    const f = this.files.get(path) as HostFile;
    f.data = Buffer.concat([f.data, Buffer.from(text)]);
    f.mtimeMs = this.clock;
  }
  rename(from: string, to: string): void {
    this.files.set(to, this.files.get(from) as HostFile);
    this.files.delete(from);
  }
  /** logrotate's copytruncate: a copy under a new inode, then the original emptied in place. */
  copytruncate(from: string, to: string): void {
    const f = this.files.get(from) as HostFile;
    this.files.set(to, { ...f, ino: this.#ino++, data: Buffer.from(f.data) });
    f.data = Buffer.alloc(0);
  }
  /** gzip FILE: FILE.gz under a new inode, FILE removed. */
  gzip(from: string, to = `${from}.gz`, corrupt = false): void {
    const f = this.files.get(from) as HostFile;
    this.files.set(to, { ...f, ino: this.#ino++, gzip: true, corrupt });
    this.files.delete(from);
  }
  remove(path: string): void {
    this.files.delete(path);
  }
  truncate(path: string, length = 0): void {
    const f = this.files.get(path) as HostFile;
    f.data = f.data.subarray(0, length);
  }
  inode(path: string): number {
    return (this.files.get(path) as HostFile).ino;
  }

  observe(): ObservedFile[] {
    const lengths = fingerprintLengths(this.state);
    const known = knownGzip(this.state);
    return [...this.files.entries()].map(([path, f]) => {
      const base = {
        path,
        dev: 1,
        ino: f.ino,
        bytes: f.gzip ? Math.ceil(f.data.length / 3) + 20 : f.data.length,
        mtimeMs: f.mtimeMs,
        mode: 0o640,
        uid: 0,
        gid: 4,
        gzip: f.gzip,
      };
      if (f.gzip && known.has(gzipKey(base))) return base;
      return { ...base, content: contentOf(f.data, lengths, !f.corrupt) };
    });
  }

  /** One run: plan, read each range from the host as it is, build the batch, keep the state. */
  run(opts: { backfill?: boolean; budget?: { bytes: number; entries: number }; failReads?: boolean } = {}): {
    plan: Plan;
    header?: BatchHeader;
  } {
    this.clock += 15 * 60 * 1000;
    const now = new Date(this.clock);
    const files = this.observe();
    const planned = plan({
      state: this.state,
      firstContact: this.firstContact,
      backfill: opts.backfill ?? false,
      files,
      patterns: this.patterns,
      now,
      ...(opts.budget ? { budget: opts.budget } : {}),
    });
    const digests = planned.reads.map((r) => {
      const f = this.files.get(r.file.path);
      if (opts.failReads || !f || f.ino !== r.file.ino) return undefined;
      const bytes = Buffer.from(f.data.subarray(r.start, r.end));
      this.contents.set(sha(bytes), bytes);
      return sha(bytes);
    });
    const { header, generations } = buildBatch(planned, digests, {
      source: 'web',
      host: 'ip-10-0-0-1',
      prev: this.state.prev,
      now,
    });
    this.state = {
      ...this.state,
      generations,
      copies: [...planned.copies],
      prev: header?.batch ?? this.state.prev,
    };
    this.firstContact = false;
    if (header) this.batches.push(header);
    // What is accounted for of a generation never goes past what was seen of it.
    for (const g of generations) {
      if (g.through > g.file.size)
        throw new Error(`${g.generation}: through ${g.through} > size ${g.file.size}`);
    }
    return { plan: planned, ...(header ? { header } : {}) };
  }

  /** Text of the log sent so far for each log path, generations in order, gaps as `<gap reason>`. */
  sent(): Record<string, string> {
    const contents = this.contents;
    const out: Record<string, string> = {};
    const gens = new Map<string, { path: string; parts: { start: number; end: number; text: string }[] }>();
    for (const b of this.batches) {
      for (const s of b.segments) {
        const g = gens.get(s.generation) ?? { path: s.path, parts: [] };
        g.parts.push({
          start: s.start,
          end: s.end,
          text: (contents.get(s.sha256) ?? Buffer.alloc(0)).toString(),
        });
        gens.set(s.generation, g);
      }
      for (const gap of b.gaps) {
        const g = gens.get(gap.generation) ?? { path: gap.path, parts: [] };
        g.parts.push({ start: gap.start, end: gap.end, text: `<${gap.reason} ${gap.end - gap.start}>` });
        gens.set(gap.generation, g);
      }
    }
    for (const id of [...gens.keys()].sort()) {
      const g = gens.get(id) as { path: string; parts: { start: number; end: number; text: string }[] };
      let at = 0;
      let text = '';
      for (const p of g.parts.sort((a, b) => a.start - b.start)) {
        if (p.start !== at) throw new Error(`${g.path} ${id}: ${p.start} follows ${at}`);
        text += p.text;
        at = p.end;
      }
      out[g.path] = `${out[g.path] ?? ''}${out[g.path] === undefined ? '' : '|'}${text}`;
    }
    return out;
  }
}
