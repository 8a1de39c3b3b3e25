import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { RESERVE_MS } from '#shared/sweep/continuation.ts';
import { REPORT_PREFIX, type SweepReport } from '#shared/sweep/report.ts';
import { listKeys } from '../helpers/archive.ts';
import { eventually, freshCloud } from '../helpers/cloud.ts';
import { seedArchive } from '../helpers/sweep-seed.ts';

let cloud: LocalCloud;
let s3: S3Client;
const DAY = 86_400_000;

beforeAll(async () => {
  cloud = await freshCloud();
  s3 = new S3Client({ forcePathStyle: true });
});
afterAll(() => cloud?.stop());

async function reportsOf(bucket: string, now: string): Promise<SweepReport[]> {
  const keys = await listKeys(s3, bucket, `${REPORT_PREFIX}${now.replaceAll(':', '')}-`);
  return Promise.all(
    keys.map(async (Key) => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key }));
      return JSON.parse(await (res.Body?.transformToString() ?? '{}')) as SweepReport;
    }),
  );
}

describe('the sweep function near its deadline', () => {
  it('queues its own continuation, which the sweep queue runs to the end at the same clock', async () => {
    const bucket = cloud.outputs.ArchiveBucketName as string;
    for (const name of ['a.log', 'b.log'])
      await seedArchive(s3, bucket, {
        source: 'continued',
        relative: name,
        archivedAt: new Date(Date.now() - 10 * DAY),
        expires: new Date(Date.now() - 2 * DAY),
        policy: 'standard',
      });
    const sweep = cloud.functions.functions.find((f) => f.logicalId === 'SweepLambdaFunction');
    const scheduled = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../events/eventbridge-scheduled.json'), 'utf8'),
    ) as Record<string, unknown>;

    // Less time left than the sweep keeps in reserve: it stops after its first chunk.
    const first = (await sweep?.invoke(
      { ...scheduled, time: new Date().toISOString() },
      { timeoutMs: RESERVE_MS - 1 },
    )) as SweepReport;
    expect(first.complete).toBe(false);

    const finished = await eventually(async () => {
      const reports = await reportsOf(bucket, first.now);
      return reports.find((r) => r.runId !== first.runId && r.complete);
    }, 'the continuation to finish the sweep');
    expect(finished.now).toBe(first.now);
  });
});
