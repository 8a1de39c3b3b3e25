import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectLegalHoldCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { listArchives } from '#shared/archive/list.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { REPORT_PREFIX, type SweepReport } from '#shared/sweep/report.ts';
import { runSweep } from '#shared/sweep/run.ts';
import { loadState } from '#shared/sweep/state.ts';
import { listKeys } from '../helpers/archive.ts';
import { ARCHIVE_ALONE, eventually, freshCloud } from '../helpers/cloud.ts';
import { seedArchive } from '../helpers/sweep-seed.ts';

const DAY = 86_400_000;
const BULK = 2400;

let cloud: LocalCloud;
let s3: S3Client;
let bucket: string;
const t0 = new Date();
const t1 = new Date(t0.getTime() + 40 * DAY);

interface Seeded {
  key: string;
  expires: number | null;
  held: boolean;
  lockUntil?: number;
}
const seeded: Seeded[] = [];

/** What a correct sweeper deletes at `now` (and what the emulator lets it delete: locks use its own clock). */
const deletable = (s: Seeded, now: Date) =>
  s.expires !== null &&
  s.expires <= now.getTime() &&
  !s.held &&
  !(s.lockUntil && s.lockUntil > now.getTime());

async function remaining(): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const e of listArchives(s3, bucket)) keys.add(e.archiveKey);
  return keys;
}

beforeAll(async () => {
  // v1 archives, each archived alone, as every archive was before packs (packing-sweep.test.ts: packs).
  cloud = await freshCloud(ARCHIVE_ALONE);
  s3 = new S3Client({ forcePathStyle: true });
  bucket = cloud.outputs.ArchiveBucketName as string;
  const ingest = cloud.outputs.IngestBucketName as string;

  // A few dozen real archives through the whole pipeline: 7-, 30- and 90-day policies.
  const real = ['debug-app', 'i-0abc1234', 'web'].flatMap((source) =>
    Array.from({ length: 8 }, (_, i) => `${source}/real-${i}.log`),
  );
  for (const key of real) {
    await s3.send(
      new PutObjectCommand({ Bucket: ingest, Key: key, Body: `log line for ${key}\n`.repeat(20) }),
    );
  }
  await eventually(
    async () => ((await remaining()).size === real.length ? true : undefined),
    'real archives',
    90_000,
  );
  for (const key of await remaining()) {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    seeded.push({ key, expires: Date.parse(h.Metadata?.['lv-expires'] ?? ''), held: false });
  }

  // Thousands of stand-ins over 80 days of archiving, with the three policies' retentions.
  const policies = [
    { source: 'debug-app', policy: 'debug', days: 7 },
    { source: 'i-0abc1234', policy: 'instances', days: 30 },
    { source: 'web', policy: 'standard', days: 90 },
  ];
  const specs = Array.from({ length: BULK }, (_, i) => {
    const p = policies[i % 3] as (typeof policies)[number];
    const archivedAt = new Date(t0.getTime() - (i % 80) * DAY - 3_600_000);
    const expires = new Date(
      Date.UTC(archivedAt.getUTCFullYear(), archivedAt.getUTCMonth(), archivedAt.getUTCDate() + p.days + 1),
    );
    // Every 97th is locked for 10 days from now: expired at t1 by our clock, still locked by the emulator's.
    const lockUntil =
      i % 97 === 0
        ? new Date(t0.getTime() + 10 * DAY)
        : i % 89 === 0
          ? new Date(t0.getTime() + 60 * DAY)
          : undefined;
    return { ...p, relative: `bulk/${i}.log`, archivedAt, expires, ...(lockUntil ? { lockUntil } : {}) };
  });
  const keys = await mapLimit(specs, 32, (s) => seedArchive(s3, bucket, s));
  for (const [i, s] of specs.entries()) {
    seeded.push({
      key: keys[i] as string,
      expires: s.expires.getTime(),
      held: false,
      ...(s.lockUntil ? { lockUntil: s.lockUntil.getTime() } : {}),
    });
  }
  // Index says "due long ago", metadata says later: the metadata wins.
  for (let i = 0; i < 5; i++) {
    const expires = new Date(t0.getTime() + 100 * DAY);
    const key = await seedArchive(s3, bucket, {
      source: 'web',
      policy: 'standard',
      relative: `tampered/${i}.log`,
      archivedAt: t0,
      expires,
      indexAt: new Date(t0.getTime() - 20 * DAY),
    });
    seeded.push({ key, expires: expires.getTime(), held: false });
  }
  // Expired archives whose keys XML cannot carry, among thousands of ordinary ones: each is deleted
  // on its own, and none holds up the batch of deletes it would have joined.
  for (const [i, relative] of ['ctl\x01.log', 'esc\x1b[31mred.log', 'bell\x07\x02.log'].entries()) {
    const expires = new Date(t0.getTime() - (i + 2) * DAY);
    const archivedAt = new Date(expires.getTime() - 90 * DAY);
    const key = await seedArchive(s3, bucket, {
      source: 'web',
      policy: 'standard',
      relative,
      archivedAt,
      expires,
    });
    seeded.push({ key, expires: expires.getTime(), held: false });
  }
  // Legal holds on some that will have expired, one of them a real archive.
  const toHold = [
    ...seeded.filter((s) => s.key.includes('/real-') && s.key.startsWith('archive/debug-app/')).slice(0, 1),
    ...seeded.filter((s) => s.expires !== null && s.expires < t1.getTime() && !s.lockUntil).slice(0, 25),
  ];
  for (const s of toHold) {
    await s3.send(new PutObjectLegalHoldCommand({ Bucket: bucket, Key: s.key, LegalHold: { Status: 'ON' } }));
    s.held = true;
  }
}, 600_000);
afterAll(() => cloud?.stop());

describe('sweeper against the emulator', () => {
  it('scheduled run at the real clock deletes exactly what has expired by now', async () => {
    const report = (await cloud.fireSchedule('SweepLambdaFunction')) as SweepReport;
    const gone = seeded.filter((s) => deletable(s, t0));
    expect(gone.length).toBeGreaterThan(100);
    expect(report.deleted).toBe(gone.length);
    expect(report.failures).toEqual([]);
    const left = await remaining();
    for (const s of seeded) expect(left.has(s.key), s.key).toBe(!deletable(s, t0));
    expect(await listKeys(s3, bucket, REPORT_PREFIX)).toHaveLength(1);
    // The emulator lists versions in time linear in the whole bucket, so this is slow locally.
  }, 300_000);

  it('dry run 40 days ahead lists exactly what would go, and deletes nothing', async () => {
    const before = await remaining();
    const report = await runSweep({ s3, bucket, now: t1, dryRun: true });
    const survivors = seeded.filter((s) => before.has(s.key));
    const expected = survivors.filter(
      (s) =>
        s.expires !== null &&
        s.expires <= t1.getTime() &&
        !s.held &&
        !(s.lockUntil && s.lockUntil > t1.getTime()),
    );
    expect(new Set(report.wouldDeleteKeys)).toEqual(new Set(expected.map((s) => s.key)));
    expect(report.wouldDeleteKeys).toHaveLength(expected.length);
    expect(report.wouldDelete).toBe(expected.length);
    expect(report.bytesWouldFree).toBeGreaterThan(0);
    // Nothing was deleted, and the report says so under the names a real run uses.
    expect(report).toMatchObject({ deleted: 0, deletedKeys: [], bytesFreed: 0 });
    expect(await remaining()).toEqual(before);
  }, 300_000);

  it('real run 40 days ahead, cut into many continuations, leaves exactly the held, locked and unexpired', async () => {
    const before = await remaining();
    let calls = 0;
    const reports: SweepReport[] = [];
    do {
      // Stops after every other chunk, as a Lambda near its deadline would.
      reports.push(await runSweep({ s3, bucket, now: t1, shouldStop: () => ++calls % 2 === 0 }));
    } while (!reports.at(-1)?.complete);
    expect(reports.length).toBeGreaterThan(2);

    const survivors = seeded.filter((s) => before.has(s.key));
    // Locks ending between now and t1 have passed by the sweeper's clock but not by the emulator's:
    // those deletes are denied per key, reported as failures, and kept pending for the next run.
    const denied = survivors.filter((s) => deletable(s, t1) && s.lockUntil && s.lockUntil > t0.getTime());
    const expectedLeft = new Set(
      survivors.filter((s) => !deletable(s, t1) || denied.includes(s)).map((s) => s.key),
    );
    expect(await remaining()).toEqual(expectedLeft);
    const total = (f: (r: SweepReport) => number) => reports.reduce((n, r) => n + f(r), 0);
    expect(total((r) => r.deleted)).toBe(before.size - expectedLeft.size);
    // Each continuation re-tries the pending failures; every failure is one of the denied.
    const failedKeys = new Set(reports.flatMap((r) => r.failures.map((f) => f.key)));
    expect(failedKeys).toEqual(new Set(denied.map((s) => s.key)));
    expect(reports.at(-1)?.failed).toBe(denied.length);
    expect(denied.length).toBeGreaterThan(0);

    const state = await loadState(s3, bucket);
    expect(new Set(state.pending.filter((p) => p.reason === 'failed').map((p) => p.archiveKey))).toEqual(
      new Set(denied.map((s) => s.key)),
    );
    expect(state.pending.filter((p) => p.reason === 'held')).toHaveLength(
      seeded.filter((s) => s.held).length,
    );
    // Deleted archives take their index entries with them; kept ones keep theirs.
    const indexed = new Set(
      (await listKeys(s3, bucket, 'expiry/')).map((k) => k.slice('expiry/YYYY-MM-DD/'.length)),
    );
    for (const s of survivors)
      expect(indexed.has(s.key), s.key).toBe(expectedLeft.has(s.key) && s.expires !== null);
  });

  it('a second run at the same time re-checks only pending entries and deletes nothing more', async () => {
    const before = await remaining();
    const report = await runSweep({ s3, bucket, now: t1 });
    expect(report.deleted).toBe(0);
    expect(report.scanned).toBe((await loadState(s3, bucket)).pending.length);
    expect(await remaining()).toEqual(before);
  });

  it('refuses to delete when the clock reads earlier than the last run', async () => {
    const before = await remaining();
    const report = await runSweep({ s3, bucket, now: t0 });
    expect(report.refused).toBe(true);
    expect(report.deleted).toBe(0);
    expect(await remaining()).toEqual(before);
  });

  it('writes a JSON report per run into the archive bucket', async () => {
    const reports = await Promise.all(
      (await listKeys(s3, bucket, REPORT_PREFIX)).map(async (key) =>
        JSON.parse(
          (await (
            await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
          ).Body?.transformToString()) ?? '{}',
        ),
      ),
    );
    expect(reports.length).toBeGreaterThan(3);
    expect(reports.some((r) => r.refused === true)).toBe(true);
    expect(reports.some((r) => r.deleted > 0 && r.bytesFreed > 0)).toBe(true);
  });
});
