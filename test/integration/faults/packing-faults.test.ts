import { randomBytes } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { logText } from '#local/sample-logs.ts';
import { getAttempt, getMember } from '#shared/archive/member-ledger.ts';
import { memberId } from '#shared/segments/identity.ts';
import { faultyCloud } from '../../helpers/fault-cloud.ts';
import {
  assess,
  copiesOf,
  type DirectClients,
  directClients,
  expectNothingLost,
  openUploads,
  reportSummary,
  type SummaryRow,
  sourceExists,
  summaryRow,
} from '../../helpers/fault-invariants.ts';
import type { Operation } from '../../helpers/fault-operation.ts';
import type { FaultProxy } from '../../helpers/fault-proxy.ts';
import { pauseNotifications } from '../../helpers/notifications.ts';
import { archiveJobEvent, ledgerMembers, ledgerOf, packKeys, sha256 } from '../../helpers/packs.ts';

const MiB = 1024 * 1024;
let cloud: LocalCloud;
let proxy: FaultProxy;
let direct: DirectClients;
let moto: string;
let archiveFn: LocalFunction;
let outputs: Record<string, string>;
let ingest: string;
let archive: string;
let resume: () => Promise<void>;
const rows: SummaryRow[] = [];

beforeAll(async () => {
  ({ cloud, proxy, moto } = await faultyCloud());
  direct = directClients(moto);
  outputs = cloud.outputs as Record<string, string>;
  archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction') as LocalFunction;
  ingest = outputs.IngestBucketName as string;
  archive = outputs.ArchiveBucketName as string;
  // The test hands each batch to the archive function itself: no notification-driven job races it.
  resume = await pauseNotifications(direct.s3, ingest);
});
afterAll(async () => {
  await resume?.();
  if (rows.length > 0) reportSummary('packing-faults', rows);
  await cloud?.stop();
  await proxy?.stop();
});

async function ship(files: Record<string, Buffer>): Promise<Map<string, Buffer>> {
  for (const [key, body] of Object.entries(files))
    await direct.s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: body }));
  return new Map(Object.entries(files));
}

const failedIds = (res: unknown) =>
  (res as { batchItemFailures: { itemIdentifier: string }[] }).batchItemFailures.map((f) => f.itemIdentifier);
const isPackWrite = (op: Operation) =>
  op.service === 's3' &&
  op.bucket === archive &&
  (op.key ?? '').startsWith('pack/') &&
  ['PutObject', 'UploadPart'].includes(op.name);
const count = (service: string, name: string) =>
  proxy.seen.filter((op) => op.service === service && op.name === name).length;

/** Hands the same jobs to the archive function until none fails (as SQS redelivers), at most `rounds` times. */
async function archiveUntilDone(keys: string[], rounds = 3): Promise<number> {
  let pending = archiveJobEvent(ingest, keys).Records;
  for (let round = 1; round <= rounds; round++) {
    const failed = new Set(failedIds(await archiveFn.invoke({ Records: pending })));
    pending = pending.filter((r) => failed.has(r.messageId));
    if (pending.length === 0) return round;
  }
  throw new Error(`${pending.length} job(s) still failing after ${rounds} rounds`);
}

describe('one data key per pack', () => {
  it('asks KMS for one data key and one decrypt for a pack of many logs', async () => {
    const files = Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [`kms-count/${i}.log`, Buffer.from(logText(20 + i, i))]),
    );
    await ship(files);
    proxy.resetStats();
    expect(await archiveUntilDone(Object.keys(files))).toBe(1);
    expect(count('kms', 'GenerateDataKey')).toBe(1);
    expect(count('kms', 'Decrypt')).toBe(1);
  });
});

describe('a fault in the middle of a packed write', () => {
  it('fails every job of a pack whose PUT fails, and the retry stores each log once', async () => {
    const shipped = await ship(
      Object.fromEntries(
        Array.from({ length: 6 }, (_, i) => [`put-fails/${i}.log`, Buffer.from(logText(15, i))]),
      ),
    );
    proxy.resetStats();
    // Every attempt the SDK makes at the first pack's PUT fails: the write itself fails.
    proxy.setRules([
      { match: isPackWrite, kind: ['internal-error', 'slow-down', 'reset'], calls: [1, 2, 3, 4, 5] },
    ]);
    const first = await archiveFn.invoke(archiveJobEvent(ingest, [...shipped.keys()]));
    proxy.setRules([]);
    expect(failedIds(first)).toHaveLength(6);
    expect(proxy.stats().injected).toBe(5);
    const ledger = ledgerOf(cloud, moto);
    for (const [key, body] of shipped) {
      expect(await copiesOf(direct, outputs, key)).toEqual([]);
      // Nothing verified holds it, so its source stays.
      expect(await sourceExists(direct, ingest, key)).toBe(true);
      // The write failed cleanly: its attempt says so, so the retry takes the claim over at once
      // instead of waiting out the lease.
      const item = await getMember(
        ledger,
        memberId({ kind: 'object', bucket: ingest, key, sha256: sha256(body) }),
      );
      expect((await getAttempt(ledger, item?.attempt ?? ''))?.state).toBe('failed');
    }

    expect(await archiveUntilDone([...shipped.keys()])).toBe(1);
    const outcome = await assess(direct, outputs, shipped);
    rows.push(summaryRow('pack PUT fails, batch retried', proxy, outcome));
    expectNothingLost(outcome);
    // The retry took the failed attempt's claims over: the ledger names the pack that was written.
    for (const [key, body] of shipped) {
      const item = await getMember(
        ledger,
        memberId({ kind: 'object', bucket: ingest, key, sha256: sha256(body) }),
      );
      expect((await copiesOf(direct, outputs, key))[0]).toBe(`${item?.archive}#${item?.id}`);
    }
  });

  it('fails every job of a pack whose multipart part fails, leaves no upload open, and the retry stores each once', async () => {
    // Incompressible logs under the pack threshold: together over 8 MiB, so the pack goes in parts.
    const shipped = await ship({
      'part-fails/a.bin': randomBytes(3 * MiB),
      'part-fails/b.bin': randomBytes(3 * MiB),
      'part-fails/c.bin': randomBytes(3 * MiB),
    });
    proxy.resetStats();
    proxy.setRules([
      {
        match: (op) => isPackWrite(op) && op.part === 2,
        kind: ['internal-error', 'reset'],
        calls: [1, 2, 3, 4, 5],
      },
    ]);
    const first = await archiveFn.invoke(archiveJobEvent(ingest, [...shipped.keys()]));
    proxy.setRules([]);
    expect(failedIds(first)).toHaveLength(3);
    expect(count('s3', 'AbortMultipartUpload')).toBeGreaterThanOrEqual(1);
    expect(await openUploads(direct, [archive])).toBe(0);

    expect(await archiveUntilDone([...shipped.keys()])).toBe(1);
    const outcome = await assess(direct, outputs, shipped);
    rows.push(summaryRow('pack part fails, batch retried', proxy, outcome));
    expectNothingLost(outcome);
  });

  it('settles a pack PUT whose answer was lost as written, once', async () => {
    const shipped = await ship({
      'answer-lost/a.log': Buffer.from(logText(12, 3)),
      'answer-lost/b.log': Buffer.from(logText(13, 4)),
    });
    const before = new Set(await packKeys(direct.s3, archive));
    proxy.resetStats();
    proxy.setRules([{ match: isPackWrite, kind: 'reset', phase: 'response', calls: [1] }]);
    expect(failedIds(await archiveFn.invoke(archiveJobEvent(ingest, [...shipped.keys()])))).toEqual([]);
    proxy.setRules([]);
    expect(proxy.stats().injected).toBe(1);
    expect((await packKeys(direct.s3, archive)).filter((k) => !before.has(k))).toHaveLength(1);
    const outcome = await assess(direct, outputs, shipped);
    rows.push(summaryRow('pack PUT answer lost', proxy, outcome));
    expectNothingLost(outcome);
  });
});

describe('a fault after a pack is written', () => {
  it('records the pack’s ledger entries on the retry when its writer could not, and stores nothing twice', async () => {
    const shipped = await ship({
      'entries-fail/a.log': Buffer.from(logText(12, 5)),
      'entries-fail/b.log': Buffer.from(logText(13, 6)),
    });
    const before = new Set(await packKeys(direct.s3, archive));
    proxy.resetStats();
    // PutItems of one attempt: the attempt, 2 claims, then (the pack written and verified) its 2
    // entries. Every try at the entries fails, so the writer ends its attempt failed.
    const entryWrites = Array.from({ length: 16 }, (_, i) => 4 + i);
    proxy.setRules([
      {
        match: (op) => op.service === 'dynamodb' && op.name === 'PutItem',
        kind: 'internal-error',
        calls: entryWrites,
      },
    ]);
    const first = await archiveFn.invoke(archiveJobEvent(ingest, [...shipped.keys()]));
    proxy.setRules([]);
    expect(failedIds(first)).toHaveLength(2);
    const packs = (await packKeys(direct.s3, archive)).filter((k) => !before.has(k));
    expect(packs).toHaveLength(1);
    const ledger = ledgerOf(cloud, moto);
    const listed = async () =>
      (await ledgerMembers(ledger)).filter((m) => m.source === 'entries-fail').map((m) => m.archive);
    // Written but not recorded: no reader sees the pack yet, and both sources stay.
    expect(await listed()).toEqual([]);
    for (const key of shipped.keys()) expect(await sourceExists(direct, ingest, key)).toBe(true);

    // The retry finds the pack its claims name, settles both logs as stored, and records them.
    expect(await archiveUntilDone([...shipped.keys()])).toBe(1);
    expect((await packKeys(direct.s3, archive)).filter((k) => !before.has(k))).toEqual(packs);
    expect(await listed()).toEqual([packs[0], packs[0]]);
    const outcome = await assess(direct, outputs, shipped);
    rows.push(summaryRow('pack entries fail, batch retried', proxy, outcome));
    expectNothingLost(outcome);
  });
});

describe('duplicates arriving while a pack is being written', () => {
  it('stores logs delivered to two concurrent batches once', async () => {
    const shipped = await ship(
      Object.fromEntries(
        Array.from({ length: 8 }, (_, i) => [`racing/${i}.log`, Buffer.from(logText(18, i))]),
      ),
    );
    proxy.resetStats();
    // The first claims are slowed, so both batches claim while neither has finished.
    proxy.setRules([
      {
        match: (op) => op.service === 'dynamodb' && op.name === 'PutItem',
        kind: 'delay',
        delayMs: 200,
        rate: 0.5,
      },
    ]);
    const keys = [...shipped.keys()];
    const [a, b] = await Promise.all([
      archiveFn.invoke(archiveJobEvent(ingest, keys)),
      archiveFn.invoke(archiveJobEvent(ingest, [...keys].reverse())),
    ]);
    proxy.setRules([]);
    // A job whose log the other batch held is either settled as a duplicate or retried; either way
    // a retry finishes it, and nothing is stored twice.
    const retry = [...failedIds(a), ...failedIds(b)];
    if (retry.length > 0) await archiveUntilDone(keys);
    const outcome = await assess(direct, outputs, shipped);
    rows.push(summaryRow('two batches race for the same logs', proxy, outcome));
    expectNothingLost(outcome);
  });
});
