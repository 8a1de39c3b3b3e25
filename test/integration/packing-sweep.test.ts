import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { logText } from '#local/sample-logs.ts';
import { ENTRY_TTL_GRACE_DAYS } from '#shared/archive/ledger-entries.ts';
import {
  CLAIM_TTL_DAYS,
  type LedgerDeps,
  ledgerItemKind,
  type MemberItem,
  rawLedgerItems,
} from '#shared/archive/member-ledger.ts';
import { setLegalHold } from '#shared/sweep/legal-hold.ts';
import { REPORT_PREFIX, type SweepReport } from '#shared/sweep/report.ts';
import { runSweep } from '#shared/sweep/run.ts';
import { archiveNow, listKeys } from '../helpers/archive.ts';
import { freshCloud } from '../helpers/cloud.ts';
import { sqsEvent, sqsRecord } from '../helpers/events.ts';
import {
  archiveJobEvent,
  batchObject,
  generationAt,
  ledgerMembers,
  ledgerOf,
  packKeys,
} from '../helpers/packs.ts';

// The debug policy keeps archives 7 days: a pack written now is due on the 8th day after today.
const DAY = 86_400_000;
let cloud: LocalCloud;
let s3: S3Client;
let ingest: string;
let archive: string;
let archiveFn: LocalFunction;
let sweepFn: LocalFunction;
let ledger: LedgerDeps;

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
  s3 = new S3Client({ forcePathStyle: true });
  ingest = cloud.outputs.IngestBucketName as string;
  archive = cloud.outputs.ArchiveBucketName as string;
  archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction') as LocalFunction;
  sweepFn = cloud.functions.functions.find((f) => f.logicalId === 'SweepLambdaFunction') as LocalFunction;
  ledger = ledgerOf(cloud);
});
afterAll(() => cloud?.stop());

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: archive, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/** Archives these logs in one batch (one pack) and answers the pack's key and members. */
async function packOf(keys: string[]): Promise<{ pack: string; members: MemberItem[] }> {
  for (const key of keys)
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: logText(30, key.length) }));
  const before = new Set(await packKeys(s3, archive));
  await archiveFn.invoke(archiveJobEvent(ingest, keys));
  const [pack] = (await packKeys(s3, archive)).filter((k) => !before.has(k));
  if (!pack) throw new Error(`no pack for ${keys.join(', ')}`);
  return { pack, members: (await ledgerMembers(ledger)).filter((m) => m.archive === pack) };
}

/**
 * Runs the sweep function itself at `now` (as a continuation of a run at that clock, the one event
 * that carries one), and answers the report it stored.
 */
async function sweepFunctionAt(now: Date): Promise<SweepReport> {
  const continuation = { kind: 'sweep-continue', now: now.toISOString() };
  expect(await sweepFn.invoke(sqsEvent(sqsRecord(JSON.stringify(continuation))))).toEqual({
    batchItemFailures: [],
  });
  const stamp = now.toISOString().replaceAll(':', '');
  const [key] = (await listKeys(s3, archive, REPORT_PREFIX)).filter((k) => k.includes(stamp));
  const res = await s3.send(new GetObjectCommand({ Bucket: archive, Key: key }));
  return JSON.parse(await (res.Body as { transformToString(): Promise<string> }).transformToString());
}

/** The members the ledger lists in a pack, read at the clock of the sweeps below (10 days on). */
const ids = async (archiveKey: string) =>
  (await ledgerMembers(ledger, { now: new Date(Date.now() + 10 * DAY) }))
    .filter((m) => m.archive === archiveKey)
    .map((m) => m.id);

/** The ledger's raw items of one kind that name this archive. */
async function itemsOf(kind: 'entry' | 'claim', archiveKey: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const raw of rawLedgerItems(ledger))
    if (ledgerItemKind(raw) === kind && raw.archive === archiveKey) out.push(raw);
  return out;
}

/** The pack's expiry (its S3 metadata), in epoch seconds. */
async function expirySeconds(pack: string): Promise<number> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: archive, Key: pack }));
  return new Date(head.Metadata?.['lv-expires'] as string).getTime() / 1000;
}

describe('sweeping packs', () => {
  const now = Date.now();
  let plain: { pack: string; members: MemberItem[] };
  let held: { pack: string; members: MemberItem[] };
  let v1: string;
  let whole: string;

  beforeAll(async () => {
    plain = await packOf(['debug-a/1.log', 'debug-a/2.log', 'debug-b/1.log']);
    held = await packOf(['debug-c/1.log', 'debug-c/2.log']);
    // Archived alone, as every archive was before packs.
    v1 = await archiveNow(cloud, s3, 'debug-v1/old.log', logText(10, 5));
    // A batch over the pack threshold: archived whole (v1), its segments in the ledger.
    const at = new Date(now - 60_000);
    const big = batchObject({
      source: 'debug-ship',
      createdAt: at,
      segments: [
        { path: '/var/log/x.log', generation: generationAt(at), start: 0, bytes: randomBytes(5 << 20) },
      ],
    });
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: big.key, Body: big.body }));
    await archiveFn.invoke(archiveJobEvent(ingest, [big.key]));
    whole = (await ledgerMembers(ledger)).find((m) => m.source === 'debug-ship')?.archive ?? '';
  });

  it('records a pack by one entry per ingest object, kept past the pack by TTL, and claims that expire', async () => {
    const entries = await itemsOf('entry', plain.pack);
    expect(entries).toHaveLength(3);
    const ttl = (await expirySeconds(plain.pack)) + ENTRY_TTL_GRACE_DAYS * 86_400;
    for (const e of entries) expect(e.ttl).toBe(ttl);
    const claims = await itemsOf('claim', plain.pack);
    expect(claims.map((c) => c.id).sort()).toEqual(plain.members.map((m) => m.id).sort());
    for (const c of claims) {
      const days = ((c.ttl as number) * 1000 - now) / DAY;
      expect(days).toBeGreaterThan(CLAIM_TTL_DAYS - 1);
      expect(days).toBeLessThan(CLAIM_TTL_DAYS + 1);
    }
  });

  it('keeps every pack, and its ledger items, until its members have expired', async () => {
    expect(plain.members).toHaveLength(3);
    const report = await runSweep({ s3, bucket: archive, ledger, now: new Date(now + 3 * DAY) });
    expect(report.deleted).toBe(0);
    for (const p of [plain, held]) {
      expect(await exists(p.pack)).toBe(true);
      expect(await ids(p.pack)).toHaveLength(p.members.length);
    }
  });

  it('keeps a pack with a legal hold on it past its expiry, and its members listed', async () => {
    // What holding any one member does: the hold is on the pack that holds it.
    const [member] = held.members;
    await setLegalHold(s3, archive, member?.archive as string, true);
    // Through the sweep function, as its schedule would run it.
    const report = await sweepFunctionAt(new Date(now + 9 * DAY));
    expect(report.keptKeys).toEqual([{ archiveKey: held.pack, reason: 'held' }]);
    expect(await exists(held.pack)).toBe(true);
    expect(await ids(held.pack)).toHaveLength(2);
    // Its entries lose their TTL, so DynamoDB keeps them as long as the hold keeps the pack.
    const entries = await itemsOf('entry', held.pack);
    expect(entries).toHaveLength(2);
    for (const e of entries) expect(e).not.toHaveProperty('ttl');
  });

  it('deletes an expired pack whole and removes its members from the ledger', async () => {
    expect(await exists(plain.pack)).toBe(false);
    expect(await ids(plain.pack)).toEqual([]);
    // Its entries are left to their TTL (a free delete), which has not passed yet.
    for (const e of await itemsOf('entry', plain.pack)) expect(e.ttl).toBeGreaterThan(0);
  });

  it('still expires archives written alone, and forgets a whole batch’s members with it', async () => {
    expect(await exists(v1)).toBe(false);
    expect(whole).toMatch(/^archive\/debug-ship\//);
    expect(await exists(whole)).toBe(false);
    expect(await ids(whole)).toEqual([]);
  });

  it('deletes the held pack once the hold is released', async () => {
    await setLegalHold(s3, archive, held.pack, false);
    const report = await runSweep({ s3, bucket: archive, ledger, now: new Date(now + 10 * DAY) });
    expect(report.deletedKeys).toEqual([held.pack]);
    expect(await ids(held.pack)).toEqual([]);
    // Entries a hold kept have no TTL: the sweep removes them with the pack.
    expect(await itemsOf('entry', held.pack)).toEqual([]);
  });
});
