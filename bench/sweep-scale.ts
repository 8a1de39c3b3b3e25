import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { mapLimit } from '#shared/map-limit.ts';
import { runSweep } from '#shared/sweep/run.ts';
import { seedArchive } from '../test/helpers/sweep-seed.ts';

const DAY = 86_400_000;

/** An S3 client that counts every command it sends, by operation. */
function countingS3(endpoint: string): { s3: S3Client; byOperation: Record<string, number> } {
  const s3 = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const byOperation: Record<string, number> = {};
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const op = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      byOperation[op] = (byOperation[op] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'logvaultCountRequests' },
  );
  return { s3, byOperation };
}

/**
 * Counts the S3 requests of one sweep over `unexpired + expired` archives in a dedicated bucket.
 * Unexpired archives are indexed under future days (up to a year out), expired ones under the
 * last 30 days, as the archive function would index them. Only the sweep's requests are counted.
 */
export async function sweepScale(opts: {
  endpoint: string;
  unexpired: number;
  expired: number;
}): Promise<{ requests: number; byOperation: Record<string, number> }> {
  const seed = countingS3(opts.endpoint).s3;
  const bucket = `lv-sweep-scale-${Date.now()}`;
  await seed.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await seed.send(
    new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  const now = new Date();
  const specs = Array.from({ length: opts.unexpired + opts.expired }, (_, i) => {
    const expired = i < opts.expired;
    const expires = expired
      ? new Date(now.getTime() - (1 + (i % 30)) * DAY)
      : new Date(now.getTime() + (1 + (i % 365)) * DAY);
    return {
      source: `src-${i % 50}`,
      relative: `scale/${i}.log`,
      archivedAt: new Date(expires.getTime() - 90 * DAY),
      expires,
      policy: 'standard',
    };
  });
  await mapLimit(specs, 64, (s) => seedArchive(seed, bucket, s));

  const { s3, byOperation } = countingS3(opts.endpoint);
  const report = await runSweep({ s3, bucket, now });
  if (report.deleted !== opts.expired) {
    throw new Error(`sweep deleted ${report.deleted} of ${opts.expired} expired archives`);
  }
  const requests = Object.values(byOperation).reduce((a, b) => a + b, 0);
  return { requests, byOperation };
}
