import { createHash } from 'node:crypto';
import { PoisonMessageError } from '../errors.ts';
import {
  arrayOf,
  boolean,
  type Checked,
  integer,
  isoInstant,
  literal,
  nullable,
  object,
  oneOf,
  refine,
  ShapeError,
  string,
} from '../json-shape.ts';
import { compactUtc, isGenerationId, memberId } from './identity.ts';

/**
 * The shipper's batch object: everything one run of a logvault shipper sends, as ONE object.
 *
 *   "LVB1\n" <header byte length, decimal> "\n" <header JSON> "\n" <segment bytes, in header order>
 *
 * Key: `{prefix}/_logvault/ship/{batchId}.lvb`, batchId = `YYYYMMDDTHHMMSSZ-<16 hex>`. This module
 * is the only one that builds or reads either; see docs/archive-format.md.
 */
export const BATCH_MAGIC = 'LVB1\n';
const BATCH_DIR = '_logvault/ship/';
const BATCH_SUFFIX = '.lvb';
/** A header above this is refused unread: 10,000 entries with 4 KiB paths stay well below it. */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
export const MAX_ENTRIES = 10_000;
const MAX_PATH_BYTES = 4096;

const BATCH_ID = /^\d{8}T\d{6}Z-[0-9a-f]{16}$/;
const SHA256 = /^[0-9a-f]{64}$/;

const offset = integer();
const logPath = string({
  rules: [
    [(p) => p.startsWith('/'), 'must be an absolute path'],
    [(p) => !p.includes('\0'), 'must not contain a NUL byte'],
    [(p) => Buffer.byteLength(p) <= MAX_PATH_BYTES, `must be at most ${MAX_PATH_BYTES} bytes`],
  ],
});
const generation = string({ rules: [[isGenerationId, 'is not a generation id']] });
const batchId = string({ rules: [[(s) => BATCH_ID.test(s), 'is not a batch id']] });
const range = { path: logPath, generation, start: offset, end: offset };
const nonEmpty = (r: { start: number; end: number }) => r.end > r.start;

export const GAP_REASONS = ['truncated', 'deleted', 'unreadable', 'unconfirmed'] as const;
export type GapReason = (typeof GAP_REASONS)[number];

const segmentShape = refine(
  object({ ...range, sha256: string({ pattern: SHA256 }) }),
  nonEmpty,
  'a segment must hold at least one byte (end > start)',
);
const gapShape = refine(
  object({ ...range, reason: oneOf(GAP_REASONS) }),
  nonEmpty,
  'a gap must cover at least one byte (end > start)',
);
const generationShape = object(
  { path: logPath, generation, firstSeen: isoInstant, through: offset, closed: boolean },
  { mode: integer(0, 0o7777), uid: integer(), gid: integer(), mtime: isoInstant },
);

const batchHeaderShape = refine(
  object({
    v: literal(1),
    source: string({ min: 1, max: 128 }),
    host: string({ max: 255 }),
    batch: batchId,
    prev: nullable(batchId),
    createdAt: isoInstant,
    segments: arrayOf(segmentShape),
    gaps: arrayOf(gapShape),
    generations: arrayOf(generationShape),
  }),
  (h) => h.segments.length + h.gaps.length <= MAX_ENTRIES,
  `at most ${MAX_ENTRIES} segments and gaps in one batch`,
);

export type BatchHeader = Checked<typeof batchHeaderShape>;
export type BatchSegment = BatchHeader['segments'][number];
export type BatchGap = BatchHeader['gaps'][number];
export type BatchGeneration = BatchHeader['generations'][number];

/** A batch object that is not what it claims to be: it can never be archived as it is. */
export class MalformedBatchError extends PoisonMessageError {
  override readonly name = 'MalformedBatchError';
}

/** A batch id: the creation time and 16 hex digits of a digest of what the batch holds. */
export function batchIdFor(createdAt: Date, descriptor: string): string {
  return `${compactUtc(createdAt)}-${createHash('sha256').update(descriptor).digest('hex').slice(0, 16)}`;
}

/** Where a batch goes in the ingest bucket: under the shipper's own prefix. */
export function batchObjectKey(prefix: string, batchId: string): string {
  if (!BATCH_ID.test(batchId)) throw new RangeError(`not a batch id: ${batchId}`);
  return `${prefix}/${BATCH_DIR}${batchId}${BATCH_SUFFIX}`;
}

/** The batch id of a batch object's key, or undefined when the key is not one. */
export function parseBatchObjectKey(key: string): { prefix: string; batchId: string } | undefined {
  const slash = key.indexOf('/');
  if (slash <= 0) return undefined;
  const rest = key.slice(slash + 1);
  if (!rest.startsWith(BATCH_DIR) || !rest.endsWith(BATCH_SUFFIX)) return undefined;
  const batchId = rest.slice(BATCH_DIR.length, -BATCH_SUFFIX.length);
  return BATCH_ID.test(batchId) ? { prefix: key.slice(0, slash), batchId } : undefined;
}

/** Bytes of segment data a header announces. */
export function segmentBytes(header: Pick<BatchHeader, 'segments'>): number {
  return header.segments.reduce((n, s) => n + (s.end - s.start), 0);
}

/**
 * The ids of the members a batch carries, each segment and each gap, as the archive function
 * records them in the member ledger: what a shipper waits for to know its batch is archived.
 */
export function batchMemberIds(header: BatchHeader): string[] {
  const { source } = header;
  return [
    ...header.segments.map((s) => memberId({ kind: 'segment', source, ...s })),
    ...header.gaps.map((g) => memberId({ kind: 'gap', source, ...g })),
  ];
}

/**
 * Checks a header against the format (strictly: no unknown fields, every number a safe
 * non-negative integer) and returns it typed.
 * @throws MalformedBatchError naming the first field that is wrong.
 */
export function parseBatchHeader(header: unknown): BatchHeader {
  try {
    return batchHeaderShape(header, '');
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new MalformedBatchError(`batch header invalid at ${error.at || 'header'}: ${error.problem}`);
  }
}

/** The bytes that precede the segments: magic, header length, header, newline. Validates first. */
export function encodeBatchPrefix(header: BatchHeader): Buffer {
  const json = Buffer.from(JSON.stringify(parseBatchHeader(header)), 'utf8');
  return Buffer.concat([Buffer.from(`${BATCH_MAGIC}${json.length}\n`, 'ascii'), json, Buffer.from('\n')]);
}

/** Reads exactly `n` bytes from an iterator, keeping what it read past them. */
class ByteReader {
  #pending: Buffer = Buffer.alloc(0);
  consumed = 0;
  constructor(private readonly it: AsyncIterator<Buffer | Uint8Array | string>) {}

  async #fill(): Promise<boolean> {
    const next = await this.it.next();
    if (next.done) return false;
    const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : Buffer.from(next.value);
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    return true;
  }

  /** Up to and including the next `\n`, within `limit` bytes; undefined at a premature end. */
  async line(limit: number): Promise<Buffer | undefined> {
    for (;;) {
      const nl = this.#pending.indexOf(0x0a);
      if (nl >= 0 && nl < limit) return this.take(nl + 1);
      if (this.#pending.length >= limit || !(await this.#fill())) return undefined;
    }
  }

  take(n: number): Buffer {
    const out = this.#pending.subarray(0, n);
    this.#pending = this.#pending.subarray(n);
    this.consumed += n;
    return out;
  }

  async exactly(n: number): Promise<Buffer | undefined> {
    while (this.#pending.length < n) if (!(await this.#fill())) return undefined;
    return this.take(n);
  }

  /** Yields up to `n` bytes as they arrive; the caller checks the count. */
  async *upTo(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.#pending.length === 0 && !(await this.#fill())) return;
      const piece = this.take(Math.min(left, this.#pending.length));
      left -= piece.length;
      yield piece;
    }
  }

  async atEnd(): Promise<boolean> {
    return this.#pending.length === 0 && !(await this.#fill());
  }
}

export interface BatchReader {
  readonly header: BatchHeader;
  /** Bytes the magic, length line and header take: where segment data starts in the object. */
  readonly dataOffset: number;
  /**
   * Each segment in header order, its bytes as chunks. A segment's chunks must be read to the
   * end before the next; the iteration fails with MalformedBatchError when a segment is short,
   * its SHA-256 differs, or bytes follow the last one.
   */
  segments(): AsyncGenerator<{ segment: BatchSegment; chunks: AsyncGenerator<Buffer> }>;
}

/** Reads a batch object's header from its body, leaving the segments to be streamed. */
export async function readBatch(body: AsyncIterable<Buffer | Uint8Array | string>): Promise<BatchReader> {
  const reader = new ByteReader(body[Symbol.asyncIterator]());
  const magic = await reader.exactly(BATCH_MAGIC.length);
  if (!magic || magic.toString('latin1') !== BATCH_MAGIC)
    throw new MalformedBatchError('not a logvault batch (bad magic)');
  const lengthLine = await reader.line(24);
  const length = lengthLine ? Number(lengthLine.toString('ascii').trim()) : Number.NaN;
  if (!lengthLine || !/^\d{1,12}\n$/.test(lengthLine.toString('ascii')) || length > MAX_HEADER_BYTES) {
    throw new MalformedBatchError('batch header length is missing or too large');
  }
  const json = await reader.exactly(length + 1);
  if (json?.[length] !== 0x0a) throw new MalformedBatchError('batch header is truncated');
  let raw: unknown;
  try {
    raw = JSON.parse(json.subarray(0, length).toString('utf8'));
  } catch {
    throw new MalformedBatchError('batch header is not JSON');
  }
  const header = parseBatchHeader(raw);
  const dataOffset = reader.consumed;
  return {
    header,
    dataOffset,
    async *segments() {
      let skip = 0;
      for (const segment of header.segments) {
        // A consumer that stopped reading a segment early leaves its rest to be skipped here.
        for await (const _ of reader.upTo(skip)) void _;
        const want = segment.end - segment.start;
        const hash = createHash('sha256');
        let got = 0;
        const chunks = async function* () {
          for await (const piece of reader.upTo(want)) {
            hash.update(piece);
            got += piece.length;
            yield piece;
          }
          if (got !== want) {
            throw new MalformedBatchError(
              `segment ${segment.path} [${segment.start}, ${segment.end}) is truncated`,
            );
          }
          if (hash.digest('hex') !== segment.sha256) {
            throw new MalformedBatchError(
              `segment ${segment.path} [${segment.start}, ${segment.end}) fails its SHA-256`,
            );
          }
        };
        yield { segment, chunks: chunks() };
        skip = want - got;
      }
      for await (const _ of reader.upTo(skip)) void _;
      if (!(await reader.atEnd())) throw new MalformedBatchError('bytes follow the last segment');
    },
  };
}
