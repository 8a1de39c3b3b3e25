import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  type BatchHeader,
  MalformedBatchError,
  parseBatchObjectKey,
  readBatch,
} from '../segments/batch-format.ts';
import { compactUtc, memberId } from '../segments/identity.ts';
import type { MemberDescription } from './pack-format.ts';
import type { PackInput } from './pack-layout.ts';
import { openSource, type SourceObject } from './source-object.ts';

/** The SHA-256 of no bytes: what a gap member's digest is. */
export const EMPTY_SHA256 = createHash('sha256').digest('hex');

/** The member a whole ingest object is (not one a logvault shipper made). */
export function objectMember(
  src: SourceObject,
  source: string,
  sha256: string,
  size: number,
): MemberDescription {
  const modified = src.lastModified.toISOString();
  return {
    id: memberId({ kind: 'object', bucket: src.bucket, key: src.key, sha256 }),
    kind: 'object',
    source,
    time: modified,
    sha256,
    size,
    bucket: src.bucket,
    key: src.key,
    revision: src.revision,
    modified,
    eTag: src.eTag,
  };
}

/** A batch object's members, each with where its bytes are in the batch body (gaps: nowhere). */
export interface BatchMembers {
  readonly header: BatchHeader;
  readonly members: readonly { readonly description: MemberDescription; readonly offset: number }[];
}

const iso = (t: string) => new Date(t).toISOString();

/**
 * Reads a shipper's batch object through batch-format.ts and turns it into members: one per
 * segment (its bytes checked against the header's length and SHA-256) and one per gap. The
 * header must name the source and batch id its key does; anything else makes the batch poison
 * (MalformedBatchError). With `keep`, each segment's bytes are handed to it as they are read.
 */
export async function batchMembers(
  src: Pick<SourceObject, 'bucket' | 'key'>,
  source: string,
  body: AsyncIterable<Buffer | Uint8Array | string>,
  keep?: (id: string, bytes: Buffer) => void,
): Promise<BatchMembers> {
  const batch = await readBatch(body);
  const { header } = batch;
  if (header.source !== source)
    throw new MalformedBatchError(
      `batch header names source ${header.source}, but its key is under ${source}`,
    );
  const batchId = parseBatchObjectKey(src.key)?.batchId;
  if (header.batch !== batchId)
    throw new MalformedBatchError(`batch header names batch ${header.batch}, but its key names ${batchId}`);
  // A batch id starts with its creation time: the sweeper finds a batch's members by it.
  if (compactUtc(new Date(header.createdAt)) !== batchId.slice(0, 16))
    throw new MalformedBatchError(
      `batch ${batchId} was not created at ${header.createdAt}, as its header says`,
    );
  const time = iso(header.createdAt);
  const ref = { batch: header.batch, prev: header.prev };
  const generations = new Map(header.generations.map((g) => [`${g.path}\0${g.generation}`, g]));
  const members: { description: MemberDescription; offset: number }[] = [];
  let offset = batch.dataOffset;
  for await (const { segment, chunks } of batch.segments()) {
    const parts: Buffer[] = [];
    for await (const chunk of chunks) if (keep) parts.push(chunk);
    const g = generations.get(`${segment.path}\0${segment.generation}`);
    const description: MemberDescription = {
      id: memberId({ kind: 'segment', source, ...segment }),
      kind: 'segment',
      source,
      time,
      sha256: segment.sha256,
      size: segment.end - segment.start,
      bucket: src.bucket,
      key: src.key,
      path: segment.path,
      generation: segment.generation,
      start: segment.start,
      end: segment.end,
      ...ref,
      ...(g?.mode !== undefined ? { mode: g.mode } : {}),
      ...(g?.uid !== undefined ? { uid: g.uid } : {}),
      ...(g?.gid !== undefined ? { gid: g.gid } : {}),
      ...(g?.mtime !== undefined ? { mtime: iso(g.mtime) } : {}),
    };
    keep?.(description.id, Buffer.concat(parts));
    members.push({ description, offset });
    offset += description.size;
  }
  for (const gap of header.gaps) {
    const description: MemberDescription = {
      id: memberId({ kind: 'gap', source, ...gap }),
      kind: 'gap',
      source,
      time,
      sha256: EMPTY_SHA256,
      size: 0,
      path: gap.path,
      generation: gap.generation,
      start: gap.start,
      end: gap.end,
      reason: gap.reason,
      ...ref,
    };
    members.push({ description, offset: 0 });
  }
  return { header, members };
}

/** True when an ingest key is a shipper's batch object. */
export const isBatchObject = (key: string): boolean => parseBatchObjectKey(key) !== undefined;

/**
 * Reads one small source (it fits in memory: it is under the pack threshold) and answers the
 * members it holds: a batch object's segments and gaps, or the whole object as one member.
 */
export async function readPackInputs(s3: S3Client, src: SourceObject, source: string): Promise<PackInput[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of await openSource(s3, src)) chunks.push(chunk as Buffer);
  const bytes = Buffer.concat(chunks);
  if (!isBatchObject(src.key)) {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    return [{ description: objectMember(src, source, sha256, bytes.length), bytes }];
  }
  const kept = new Map<string, Buffer>();
  const { members } = await batchMembers(src, source, Readable.from([bytes]), (id, b) => kept.set(id, b));
  return members.map((m) => ({
    description: m.description,
    bytes: kept.get(m.description.id) ?? Buffer.alloc(0),
  }));
}
