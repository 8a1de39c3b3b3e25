import { randomBytes } from 'node:crypto';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { EXPIRY_PREFIX } from '#shared/archive/layout.ts';
import { deadlineBudget } from '#shared/deadline.ts';
import { listKeys } from '../../helpers/archive.ts';
import { sqsEvent, sqsRecord } from '../../helpers/events.ts';
import { faultyCloud } from '../../helpers/fault-cloud.ts';
import {
  assess,
  copiesOf,
  type DirectClients,
  directClients,
  drained,
  expectNothingLost,
  openUploads,
  reportSummary,
  type SummaryRow,
  shipLogs,
  summaryRow,
} from '../../helpers/fault-invariants.ts';
import { type FaultProxy, on } from '../../helpers/fault-proxy.ts';
import { pauseNotifications } from '../../helpers/notifications.ts';

const MiB = 1024 * 1024;
let cloud: LocalCloud;
let proxy: FaultProxy;
let direct: DirectClients;
let moto: string;
let archiveFn: LocalFunction;
let outputs: Record<string, string>;
const rows: SummaryRow[] = [];

let ingest: string;

/** An archive job as the ingest function sends it. */
function job(key: string): string {
  return JSON.stringify({ bucket: ingest, key, eventTime: new Date().toISOString() });
}

let resumeNotifications: (() => Promise<void>) | undefined;
/** For tests that invoke the archive function themselves: no notification-driven job races them. */
const withNotificationsPaused = () => {
  beforeAll(async () => {
    resumeNotifications = await pauseNotifications(direct.s3, ingest);
  });
  afterAll(() => resumeNotifications?.());
};

async function exists(bucket: string, key: string): Promise<boolean> {
  return direct.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

const calls = (name: string, bucket: string) =>
  proxy.seen.filter((op) => op.service === 's3' && op.name === name && op.bucket === bucket).length;

beforeAll(async () => {
  ({ cloud, proxy, moto } = await faultyCloud());
  direct = directClients(moto);
  outputs = cloud.outputs as Record<string, string>;
  archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction') as LocalFunction;
  ingest = outputs.IngestBucketName as string;
});
afterAll(async () => {
  if (rows.length > 0) reportSummary('interruptions', rows);
  await cloud?.stop();
  await proxy?.stop();
});

describe('a failure in the middle of a multipart upload', () => {
  it('aborts the upload, retries the message, and ends with one whole archive', async () => {
    const archive = outputs.ArchiveBucketName as string;
    proxy.resetStats();
    // Every attempt the SDK makes at part 2 of the first upload fails, so the upload itself fails.
    proxy.setRules([
      {
        match: on.part(archive, 2),
        kind: ['internal-error', 'slow-down', 'reset'],
        calls: [1, 2, 3, 4, 5],
      },
    ]);
    const shipped = await shipLogs(direct, outputs.IngestBucketName as string, {
      'multipart/big.bin': randomBytes(20 * MiB),
    });
    await drained(direct, [outputs.IngestQueueUrl as string, outputs.ArchiveQueueUrl as string]);
    proxy.setRules([]);

    expect(proxy.stats().injected).toBe(5);
    expect(calls('AbortMultipartUpload', archive)).toBeGreaterThanOrEqual(1);
    expect(calls('CompleteMultipartUpload', archive)).toBeGreaterThanOrEqual(1);
    const outcome = await assess(direct, outputs, shipped);
    rows.push(summaryRow('UploadPart 2 fails mid-multipart', proxy, outcome));
    expectNothingLost(outcome);
    expect(outcome.restorable).toBe(1);
    expect(proxy.stats().redelivered).toBeGreaterThanOrEqual(1);
  });
});

describe('a handler that nears its timeout mid-stream', () => {
  withNotificationsPaused();

  it('aborts its upload before the deadline, fails the record, and a retry archives it whole', async () => {
    const archive = outputs.ArchiveBucketName as string;
    const key = 'deadline/big.bin';
    const content = randomBytes(20 * MiB);
    await direct.s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: content }));
    proxy.resetStats();
    // Part 2 is held past the deadline, so the deadline falls while the multipart upload is open.
    proxy.setRules([{ match: on.part(archive, 2), kind: 'delay', delayMs: 6_000, calls: [1] }]);
    // A small neighbour in the same batch finishes well before the deadline and is not retried.
    await direct.s3.send(new PutObjectCommand({ Bucket: ingest, Key: 'neighbour/ok.log', Body: 'ok\n' }));
    const batch = sqsEvent(
      sqsRecord(job(key), 'deadline-1'),
      sqsRecord(job('neighbour/ok.log'), 'neighbour'),
    );

    // Six seconds left: the function stops after three, with part 2 still in flight.
    const timeoutMs = 6_000;
    expect(deadlineBudget(timeoutMs)).toBe(3_000);
    const first = await archiveFn.invoke(batch, { timeoutMs });

    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: 'deadline-1' }] });
    // Small, so packed: stored once all the same, in the pack its batch wrote.
    expect(await copiesOf(direct, outputs, 'neighbour/ok.log')).toEqual([expect.stringMatching(/^pack\//)]);
    expect(calls('CreateMultipartUpload', archive)).toBe(1);
    expect(calls('AbortMultipartUpload', archive)).toBe(1);
    expect(calls('CompleteMultipartUpload', archive)).toBe(0);
    expect(await openUploads(direct, [archive])).toBe(0);
    expect(await listKeys(direct.s3, archive, 'archive/deadline/')).toEqual([]);
    expect(await exists(ingest, key)).toBe(true);

    proxy.setRules([]);
    const retry = await archiveFn.invoke(sqsEvent(sqsRecord(job(key), 'deadline-2')));
    expect(retry).toEqual({ batchItemFailures: [] });
    const [archived, ...more] = await listKeys(direct.s3, archive, 'archive/deadline/');
    expect(more).toEqual([]);
    expect(archived).toBeDefined();
    expect(await exists(ingest, key)).toBe(false);
    const outcome = await assess(direct, outputs, new Map([[key, content]]));
    rows.push({
      ...summaryRow('deadline mid-stream, then retried', proxy, outcome),
      // Redelivered by the test, with a normal deadline, as SQS would after the failure.
      retried: (first as { batchItemFailures: unknown[] }).batchItemFailures.length,
    });
    expectNothingLost(outcome);
    expect(outcome.restorable).toBe(1);
  });
});

describe("a lost answer to the archive's conditional PUT", () => {
  withNotificationsPaused();

  // A small log is packed: the PUT whose answer is lost is its pack's.
  it("settles the retry's 412 as its own archive: expiry indexed and source deleted", async () => {
    const archive = outputs.ArchiveBucketName as string;
    const key = 'lost-answer/app.log';
    const content = Buffer.from('written once, answered never\n');
    await direct.s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: content }));
    proxy.resetStats();
    proxy.setRules([
      { match: on.operation('s3', 'PutObject', archive), kind: 'reset', phase: 'response', calls: [1] },
    ]);

    const result = await archiveFn.invoke(sqsEvent(sqsRecord(job(key), 'lost-answer')));
    proxy.setRules([]);

    expect(result).toEqual({ batchItemFailures: [] });
    expect(proxy.stats().injected).toBe(1);
    const [copy, ...more] = await copiesOf(direct, outputs, key);
    expect(more).toEqual([]);
    const archived = copy?.split('#')[0];
    expect(archived).toMatch(/^pack\//);
    const indexed = await listKeys(direct.s3, archive, EXPIRY_PREFIX);
    expect(indexed.filter((k) => k.endsWith(`/${archived}`))).toHaveLength(1);
    expect(await exists(ingest, key)).toBe(false);
  });
});
