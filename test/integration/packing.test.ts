import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { logText } from '#local/sample-logs.ts';
import { listArchives } from '#shared/archive/list.ts';
import { getMember, type LedgerDeps, membersOfSource } from '#shared/archive/member-ledger.ts';
import { parsePackKey } from '#shared/archive/pack-format.ts';
import { memberId } from '#shared/segments/identity.ts';
import { listKeys } from '../helpers/archive.ts';
import { freshCloud } from '../helpers/cloud.ts';
import { readDeadLetters } from '../helpers/dead-letters.ts';
import { sqsRecord } from '../helpers/events.ts';
import {
  archiveJobEvent,
  batchObject,
  generationAt,
  ledgerMembers,
  ledgerOf,
  packIndexes,
  packKeys,
  restoreMember,
  sha256,
} from '../helpers/packs.ts';

// Nothing polls the queues: each batch here is one the test hands to the archive function, so
// which jobs share an invocation (and a pack) is exact.
let cloud: LocalCloud;
let s3: S3Client;
let sqs: SQSClient;
let ingest: string;
let archive: string;
let archiveFn: LocalFunction;
let ledger: LedgerDeps;

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
  ingest = cloud.outputs.IngestBucketName as string;
  archive = cloud.outputs.ArchiveBucketName as string;
  archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction') as LocalFunction;
  ledger = ledgerOf(cloud);
});
afterAll(() => cloud?.stop());

async function put(files: Record<string, Buffer>): Promise<void> {
  for (const [key, body] of Object.entries(files))
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: body }));
}

async function exists(bucket: string, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

const failed = (res: unknown) =>
  (res as { batchItemFailures: { itemIdentifier: string }[] }).batchItemFailures.map((f) => f.itemIdentifier);

describe('a window of mixed small and large objects', () => {
  const at = new Date('2026-11-26T08:00:00Z');
  const line = (n: number) => Buffer.from(logText(40 + n, n));
  const segmentBytes = [Buffer.from(logText(30, 901)), Buffer.from(logText(12, 902))];
  const batch = batchObject({
    source: 'web',
    createdAt: at,
    segments: [
      { path: '/var/log/app.log', generation: generationAt(at), start: 0, bytes: segmentBytes[0] as Buffer },
      {
        path: '/var/log/app.log',
        generation: generationAt(at),
        start: segmentBytes[0]?.length ?? 0,
        bytes: segmentBytes[1] as Buffer,
      },
    ],
    gaps: [
      {
        path: '/var/log/old.log',
        generation: generationAt(at, 'ffffffff'),
        start: 0,
        end: 500,
        reason: 'truncated',
      },
    ],
  });
  const small: Record<string, Buffer> = {
    'web/a.log': line(1),
    'web/b.log': line(2),
    'web/c.log.gz': gzipSync(line(3)),
    'web/empty.log': Buffer.alloc(0),
    'debug-svc/x.log': line(4),
    'debug-svc/y.log': line(5),
    [batch.key]: batch.body,
  };
  // Random bytes over the pack threshold (4 MiB): archived alone, on the v1 path.
  const large = { 'web/big.bin': randomBytes(5 * 1024 * 1024) };

  it('packs the small ones, one pack per policy, and archives the large one alone', async () => {
    await put({ ...small, ...large });
    const res = await archiveFn.invoke(
      archiveJobEvent(ingest, [...Object.keys(small), ...Object.keys(large)]),
    );
    expect(failed(res)).toEqual([]);

    const packs = await packIndexes(s3, archive);
    expect([...packs.values()].map((p) => p.header.policy).sort()).toEqual(['debug', 'standard']);
    for (const [key, index] of packs) expect(parsePackKey(key)?.members).toBe(index.members.length);
    // web: 4 objects + 2 segments + 1 gap; debug: 2 objects.
    const standard = [...packs.values()].find((p) => p.header.policy === 'standard');
    expect(standard?.members.length).toBe(7);
    expect(standard?.header.groups.map((g) => g.codec).sort()).toEqual(['identity', 'zstd']);
    const v1 = [];
    for await (const e of listArchives(s3, archive, { source: 'web' })) v1.push(e.archiveKey);
    expect(v1).toEqual([
      expect.stringMatching(/^archive\/web\/\d{4}-\d{2}-\d{2}\/big\.bin\.[0-9a-f]{16}\.lv$/),
    ]);
    // Both policies delete sources once archived: every one is gone, each only after its archive.
    for (const key of [...Object.keys(small), ...Object.keys(large)])
      expect(await exists(ingest, key), key).toBe(false);
  });

  it('records every packed member in the ledger, and restores each alone, byte for byte', async () => {
    const items = await ledgerMembers(ledger);
    expect(items.filter((m) => m.source === 'web').length).toBe(7);
    for (const [key, bytes] of Object.entries(small)) {
      if (key === batch.key) continue;
      const id = memberId({ kind: 'object', bucket: ingest, key, sha256: sha256(bytes) });
      const item = await getMember(ledger, id);
      expect(item?.archive, key).toMatch(/^pack\//);
      expect(
        (await restoreMember(cloud, s3, item as NonNullable<typeof item>)).bytes.equals(bytes),
        key,
      ).toBe(true);
    }
    const segments = [];
    for await (const m of membersOfSource(ledger, 'web', { from: at, to: at })) segments.push(m);
    expect(segments.map((m) => m.kind).sort()).toEqual(['gap', 'segment', 'segment']);
    for (const m of segments.filter((s) => s.kind === 'segment')) {
      const { bytes } = await restoreMember(cloud, s3, m);
      expect(segmentBytes.some((b) => b.equals(bytes))).toBe(true);
      expect(m).toMatchObject({ batch: batch.header.batch, mode: 0o640, path: '/var/log/app.log' });
    }
  });
});

describe('a poison member inside a packed batch', () => {
  const at = new Date('2026-11-26T09:00:00Z');
  const bytes = Buffer.from(logText(20, 77));
  const poison = batchObject({
    source: 'web',
    createdAt: at,
    segments: [{ path: '/var/log/p.log', generation: generationAt(at), start: 0, bytes }],
    // A segment whose digest is not its bytes': this batch is not what it claims.
    tamper: (h) => ({ ...h, segments: h.segments.map((s) => ({ ...s, sha256: 'f'.repeat(64) })) }),
  });
  const neighbours = { 'web/n1.log': Buffer.from(logText(10, 1)), 'web/n2.log': Buffer.from(logText(11, 2)) };

  it('dead-letters the poison job alone, keeps its source, and packs its neighbours', async () => {
    await put({ ...neighbours, [poison.key]: poison.body });
    const before = new Set(await packKeys(s3, archive));
    const event = archiveJobEvent(ingest, [poison.key, ...Object.keys(neighbours)]);
    const res = await archiveFn.invoke(event);
    // Dead-lettered at once, so not left to be retried.
    expect(failed(res)).toEqual([]);
    const letters = await readDeadLetters(sqs, [cloud.outputs.ArchiveDeadLetterQueueUrl as string], {
      take: true,
    });
    expect(letters.map((l) => l.body)).toEqual([event.Records[0]?.body]);
    expect(letters[0]?.note?.error).toMatch(/fails its SHA-256/);
    expect(await exists(ingest, poison.key)).toBe(true);
    const fresh = (await packKeys(s3, archive)).filter((k) => !before.has(k));
    expect(fresh).toHaveLength(1);
    const index = (await packIndexes(s3, archive)).get(fresh[0] as string);
    expect(index?.members.map((m) => m.kind === 'object' && m.key).sort()).toEqual(Object.keys(neighbours));
  });

  it('dead-letters a batch whose header names another source than its key', async () => {
    const other = batchObject({
      source: 'web',
      createdAt: at,
      segments: [{ path: '/var/log/q.log', generation: generationAt(at), start: 0, bytes }],
      tamper: (h) => ({ ...h, source: 'api' }),
    });
    await put({ [other.key]: other.body });
    expect(failed(await archiveFn.invoke(archiveJobEvent(ingest, [other.key])))).toEqual([]);
    const letters = await readDeadLetters(sqs, [cloud.outputs.ArchiveDeadLetterQueueUrl as string], {
      take: true,
    });
    expect(letters[0]?.note?.error).toMatch(/names source api, but its key is under web/);
  });
});

describe('jobs that can never be archived, among packed neighbours', () => {
  it('skips a vanished source and dead-letters a refused job, and packs the rest', async () => {
    const neighbours = {
      'web/v1.log': Buffer.from(logText(12, 5)),
      'web/v2.log': Buffer.from(logText(13, 6)),
    };
    await put(neighbours);
    const before = new Set(await packKeys(s3, archive));
    const event = archiveJobEvent(ingest, ['web/never-uploaded.log', ...Object.keys(neighbours)]);
    const foreign = sqsRecord(
      JSON.stringify({
        bucket: 'someone-elses-bucket',
        key: 'web/x.log',
        eventTime: new Date().toISOString(),
      }),
    );
    const res = await archiveFn.invoke({ Records: [...event.Records, foreign] });
    // Neither is retried: the vanished one is dropped, the refused one dead-lettered at once.
    expect(failed(res)).toEqual([]);
    const letters = await readDeadLetters(sqs, [cloud.outputs.ArchiveDeadLetterQueueUrl as string], {
      take: true,
    });
    expect(letters.map((l) => l.body)).toEqual([foreign.body]);
    const fresh = (await packKeys(s3, archive)).filter((k) => !before.has(k));
    expect(fresh).toHaveLength(1);
    const index = (await packIndexes(s3, archive)).get(fresh[0] as string);
    expect(index?.members.map((m) => m.kind === 'object' && m.key).sort()).toEqual(Object.keys(neighbours));
  });
});

describe('duplicates', () => {
  // db-* sources are kept after archiving, so a redelivered job still finds its source.
  const logs = {
    'db-orders/1.log': Buffer.from(logText(25, 11)),
    'db-orders/2.log': Buffer.from(logText(26, 12)),
  };

  it('stores a batch delivered twice (and a job twice in one batch) once', async () => {
    await put(logs);
    const keys = Object.keys(logs);
    const before = new Set(await packKeys(s3, archive));
    expect(failed(await archiveFn.invoke(archiveJobEvent(ingest, [...keys, keys[0] as string])))).toEqual([]);
    const first = (await packKeys(s3, archive)).filter((k) => !before.has(k));
    expect(first).toHaveLength(1);
    const items = (await ledgerMembers(ledger)).filter((m) => m.source === 'db-orders');
    expect(items.map((m) => m.archive)).toEqual([first[0], first[0]]);

    expect(failed(await archiveFn.invoke(archiveJobEvent(ingest, keys)))).toEqual([]);
    expect((await packKeys(s3, archive)).filter((k) => !before.has(k))).toEqual(first);
    expect((await ledgerMembers(ledger)).filter((m) => m.source === 'db-orders')).toEqual(items);
    for (const key of keys) expect(await exists(ingest, key)).toBe(true);
  });

  it('stores a segment sent again in another batch once, and the rest of that batch', async () => {
    const at = new Date('2026-11-26T10:00:00Z');
    const later = new Date('2026-11-26T10:15:00Z');
    const gen = generationAt(at);
    const shared = Buffer.from(logText(15, 21));
    const next = Buffer.from(logText(16, 22));
    const one = batchObject({
      source: 'db-main',
      createdAt: at,
      segments: [{ path: '/l', generation: gen, start: 0, bytes: shared }],
    });
    const two = batchObject({
      source: 'db-main',
      createdAt: later,
      prev: one.header.batch,
      segments: [
        { path: '/l', generation: gen, start: 0, bytes: shared },
        { path: '/l', generation: gen, start: shared.length, bytes: next },
      ],
    });
    await put({ [one.key]: one.body, [two.key]: two.body });
    expect(failed(await archiveFn.invoke(archiveJobEvent(ingest, [one.key])))).toEqual([]);
    expect(failed(await archiveFn.invoke(archiveJobEvent(ingest, [two.key])))).toEqual([]);
    const items = (await ledgerMembers(ledger)).filter((m) => m.source === 'db-main');
    expect(items).toHaveLength(2);
    const [a, b] = [parsePackKey(items[0]?.archive ?? ''), parsePackKey(items[1]?.archive ?? '')];
    expect(a?.packId).not.toBe(b?.packId);
    // The second pack holds only the new segment: one member.
    expect([a?.members, b?.members]).toEqual([1, 1]);
  });
});

describe('v1 archives next to packs', () => {
  it('archives a batch above the threshold whole, and records its segments with their place in it', async () => {
    const at = new Date('2026-11-26T11:00:00Z');
    const big = randomBytes(5 * 1024 * 1024);
    const tail = Buffer.from(logText(5, 3));
    const whole = batchObject({
      source: 'web',
      createdAt: at,
      segments: [
        { path: '/var/log/big.log', generation: generationAt(at), start: 0, bytes: big },
        { path: '/var/log/big.log', generation: generationAt(at), start: big.length, bytes: tail },
      ],
    });
    await put({ [whole.key]: whole.body });
    expect(failed(await archiveFn.invoke(archiveJobEvent(ingest, [whole.key])))).toEqual([]);
    const items = [];
    for await (const m of membersOfSource(ledger, 'web', { from: at, to: at })) items.push(m);
    expect(items.map((m) => m.archive)).toEqual([
      expect.stringMatching(/^archive\/web\/.*_logvault\/ship\/.*\.lvb\.[0-9a-f]{16}\.lv$/),
      items[0]?.archive,
    ]);
    const prefix = whole.body.length - big.length - tail.length;
    const places = items.map((m) => (m.kind === 'segment' ? [m.offset, m.length] : []));
    expect(places.sort((x, y) => Number(x[0]) - Number(y[0]))).toEqual([
      [prefix, big.length],
      [prefix + big.length, tail.length],
    ]);
    expect(await exists(ingest, whole.key)).toBe(false);
    expect(await listKeys(s3, archive, 'archive/web/')).toContain(items[0]?.archive);
  });
});
