import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { listObjectVersions } from '#shared/clients/s3-list.ts';
import {
  type BatchGap,
  type BatchHeader,
  type BatchSegment,
  parseBatchObjectKey,
  readBatch,
} from '#shared/segments/batch-format.ts';
import { memberId } from '#shared/segments/identity.ts';

/** One stored batch object (one version of it), parsed and checked with batch-format.ts. */
export interface StoredBatch {
  readonly key: string;
  readonly size: number;
  readonly header: BatchHeader;
  readonly segments: { readonly segment: BatchSegment; readonly bytes: Buffer }[];
}

async function bytesOf(chunks: AsyncIterable<Buffer | Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of chunks) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** Parses a batch object's body, checking every segment's length and SHA-256. */
export async function parseBatch(key: string, body: Buffer): Promise<StoredBatch> {
  const batch = await readBatch(Readable.from([body]));
  const segments: StoredBatch['segments'] = [];
  for await (const { segment, chunks } of batch.segments())
    segments.push({ segment, bytes: await bytesOf(chunks) });
  return { key, size: body.length, header: batch.header, segments };
}

/** Every version of every batch object in the bucket (under `prefix`), oldest batch first. */
export async function batchesIn(s3: S3Client, bucket: string, prefix = ''): Promise<StoredBatch[]> {
  const out: StoredBatch[] = [];
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await listObjectVersions(s3, { Bucket: bucket, Prefix: prefix, KeyMarker, VersionIdMarker });
    for (const v of page.Versions ?? []) {
      if (!v.Key || !parseBatchObjectKey(v.Key)) continue;
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: v.Key, VersionId: v.VersionId }));
      out.push(await parseBatch(v.Key, await bytesOf(res.Body as AsyncIterable<Uint8Array>)));
    }
    KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
  } while (KeyMarker);
  return out.sort((a, b) => (a.header.batch < b.header.batch ? -1 : a.header.batch > b.header.batch ? 1 : 0));
}

export interface Generation {
  readonly generation: string;
  readonly bytes: Buffer;
  readonly gaps: BatchGap[];
  readonly closed: boolean;
}

export interface Reassembled {
  /** Each log path's generations in order: their bytes, with a gap's range left out. */
  readonly logs: Record<string, Generation[]>;
  /** Bytes of distinct segments: a segment sent twice (same identity) counts once. */
  readonly distinctBytes: number;
  /** Segments received more than once, by identity. */
  readonly repeats: number;
}

/**
 * Puts shipped logs back together as a restore would: each segment once by its identity, in
 * byte order within its generation. Fails on two different segments over the same bytes, or on
 * bytes neither sent nor reported as a gap.
 */
export function reassemble(batches: readonly StoredBatch[]): Reassembled {
  const seen = new Set<string>();
  let repeats = 0;
  const gens = new Map<
    string,
    {
      path: string;
      parts: { start: number; end: number; bytes?: Buffer }[];
      gaps: BatchGap[];
      closed: boolean;
      firstSeen: string;
    }
  >();
  const genOf = (path: string, generation: string) => {
    const g = gens.get(generation) ?? { path, parts: [], gaps: [], closed: false, firstSeen: '' };
    gens.set(generation, g);
    return g;
  };
  for (const b of batches) {
    for (const { segment, bytes } of b.segments) {
      const id = memberId({ kind: 'segment', source: b.header.source, ...segment });
      if (seen.has(id)) {
        repeats += 1;
        continue;
      }
      seen.add(id);
      genOf(segment.path, segment.generation).parts.push({ start: segment.start, end: segment.end, bytes });
    }
    for (const gap of b.header.gaps) {
      const id = memberId({ kind: 'gap', source: b.header.source, ...gap });
      if (seen.has(id)) continue;
      seen.add(id);
      const g = genOf(gap.path, gap.generation);
      g.parts.push({ start: gap.start, end: gap.end });
      g.gaps.push(gap);
    }
    for (const e of b.header.generations)
      Object.assign(genOf(e.path, e.generation), { closed: e.closed, firstSeen: e.firstSeen });
  }
  const logs: Record<string, Generation[]> = {};
  let distinctBytes = 0;
  // Generations of a log in the order they were first seen (ids carry that time to the second only).
  const order = [...gens.entries()].sort(([a, x], [b, y]) => (x.firstSeen + a < y.firstSeen + b ? -1 : 1));
  for (const [id, g] of order) {
    let at = 0;
    const bytes: Buffer[] = [];
    for (const p of g.parts.sort((a, b) => a.start - b.start)) {
      if (p.start !== at) throw new Error(`${g.path} ${id}: bytes from ${p.start} follow ${at}`);
      if (p.bytes) {
        bytes.push(p.bytes);
        distinctBytes += p.bytes.length;
      }
      at = p.end;
    }
    logs[g.path] = logs[g.path] ?? [];
    logs[g.path]?.push({
      generation: id,
      bytes: Buffer.concat(bytes),
      gaps: g.gaps,
      closed: g.closed,
    });
  }
  return { logs, distinctBytes, repeats };
}

/** A log's generations, concatenated in order. */
export const wholeLog = (r: Reassembled, path: string): string =>
  (r.logs[path] ?? []).map((g) => g.bytes.toString()).join('');
