import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMS } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import type { LocalCloud } from '#local/cloud.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import type { ArchiveJob } from '#shared/archive/job.ts';
import {
  allMembers,
  type LedgerDeps,
  type MemberItem,
  type MembersRange,
} from '#shared/archive/member-ledger.ts';
import { PACK_PREFIX } from '#shared/archive/pack-format.ts';
import { type PackIndex, readPackIndex, readPackMember } from '#shared/archive/pack-reader.ts';
import { listKeys } from '#shared/clients/s3-list.ts';
import {
  type BatchHeader,
  batchIdFor,
  batchObjectKey,
  encodeBatchPrefix,
} from '#shared/segments/batch-format.ts';
import { compactUtc } from '#shared/segments/identity.ts';
import { sqsEvent, sqsRecord } from './events.ts';

/** The stack's member ledger, reached at `endpoint` (the emulator, or a proxy in front of it). */
export function ledgerOf(cloud: LocalCloud, endpoint = cloud.endpoint): LedgerDeps {
  const client = new DynamoDBClient({
    endpoint,
    region: cloud.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const s3 = new S3Client({
    endpoint,
    region: cloud.region,
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  return {
    ddb: DynamoDBDocumentClient.from(client),
    table: cloud.outputs.MembersTableName as string,
    packs: { s3, bucket: cloud.outputs.ArchiveBucketName as string },
  };
}

export async function ledgerMembers(ledger: LedgerDeps, range: MembersRange = {}): Promise<MemberItem[]> {
  const out: MemberItem[] = [];
  for await (const m of allMembers(ledger, range)) out.push(m);
  return out;
}

export const packKeys = (s3: S3Client, bucket: string): Promise<string[]> =>
  listKeys(s3, bucket, PACK_PREFIX);

/** Every pack's index, by key. */
export async function packIndexes(s3: S3Client, bucket: string): Promise<Map<string, PackIndex>> {
  const out = new Map<string, PackIndex>();
  for (const key of await packKeys(s3, bucket)) out.set(key, await readPackIndex(s3, bucket, key));
  return out;
}

/** A member's bytes, read back through its pack's index and group alone, and proven. */
export async function restoreMember(
  cloud: LocalCloud,
  s3: S3Client,
  item: Pick<MemberItem, 'archive' | 'id'>,
  endpoint = cloud.endpoint,
): Promise<{ bytes: Buffer; bytesFetched: number; objectSize: number }> {
  const bucket = cloud.outputs.ArchiveBucketName as string;
  const kms = new KMS({
    endpoint,
    region: cloud.region,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const keyring = archiveKeyring(cloud.outputs.ArchiveKeyArn as string, kms);
  const index = await readPackIndex(s3, bucket, item.archive);
  const { bytes, bytesFetched } = await readPackMember({ s3, bucket, keyring }, index, item.id);
  return { bytes, bytesFetched, objectSize: index.objectSize };
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** An archive-job SQS event for these ingest keys, as the ingest function would queue them. */
export function archiveJobEvent(bucket: string, keys: readonly string[]): { Records: SQSRecord[] } {
  return sqsEvent(
    ...keys.map((key) => {
      const job: ArchiveJob = { bucket, key, eventTime: new Date().toISOString() };
      return sqsRecord(JSON.stringify(job));
    }),
  );
}

export interface ShippedRange {
  readonly path: string;
  readonly generation: string;
  readonly start: number;
  readonly bytes: Buffer;
}

/** A shipper batch object for `source`, built with batch-format.ts: its key, body and header. */
export function batchObject(opts: {
  source: string;
  createdAt: Date;
  segments: readonly ShippedRange[];
  gaps?: BatchHeader['gaps'];
  prev?: string | null;
  /** Tampers with the header after its id is made. */
  tamper?: (h: BatchHeader) => BatchHeader;
}): { key: string; body: Buffer; header: BatchHeader } {
  const segments = opts.segments.map((s) => ({
    path: s.path,
    generation: s.generation,
    start: s.start,
    end: s.start + s.bytes.length,
    sha256: sha256(s.bytes),
  }));
  const paths = [...new Set(opts.segments.map((s) => `${s.path}\0${s.generation}`))];
  const generations = paths.map((p) => {
    const [path = '', generation = ''] = p.split('\0');
    const through = Math.max(
      ...opts.segments.filter((s) => s.path === path).map((s) => s.start + s.bytes.length),
    );
    return { path, generation, firstSeen: opts.createdAt.toISOString(), through, closed: false, mode: 0o640 };
  });
  const draft = {
    v: 1 as const,
    source: opts.source,
    host: 'host-1',
    prev: opts.prev ?? null,
    createdAt: opts.createdAt.toISOString(),
    segments,
    gaps: opts.gaps ?? [],
    generations,
  };
  const batch = batchIdFor(opts.createdAt, JSON.stringify(draft));
  const header = (opts.tamper ?? ((h) => h))({ ...draft, batch });
  const body = Buffer.concat([encodeBatchPrefix(header), ...opts.segments.map((s) => s.bytes)]);
  return { key: batchObjectKey(opts.source, batch), body, header };
}

/** A shipper generation id first seen at `at`. */
export const generationAt = (at: Date, tag = '0a1b2c3d') => `${compactUtc(at)}-${tag}`;
