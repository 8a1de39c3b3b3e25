/**
 * `npm run demo`: starts the local pipeline, drives a short scenario through it and prints what
 * happened. Exits non-zero if any step fails.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { humanBytes, printTable } from '#cli/output.ts';
import { startLocalCloud } from '#local/cloud.ts';
import { pollUntil } from '#local/poll.ts';
import { awkwardLogs, logText, writeTree } from '#local/sample-logs.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { createDocumentClient, createKms } from '#shared/clients/aws.ts';
import { collectFiles, shipFile } from '#shared/ingest/ship.ts';
import { listLogs } from '#shared/logs/list-logs.ts';
import { restoreLogs } from '#shared/logs/restore-logs.ts';
import { provisionDemo } from './demo/provision.ts';
import { rotatingLogDemo } from './demo/rotating-log.ts';
import { sweepDemo } from './demo/sweep.ts';

const t0 = Date.now();
const say = (line: string) =>
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${line}\n`);

say('starting the local pipeline (moto + stack from the packaged template + functions on their triggers)...');
// The functions' own JSON logs and metrics would drown the summary; warnings still show.
const cloud = await startLocalCloud({
  retryDelaySeconds: 1,
  env: { POWERTOOLS_LOG_LEVEL: 'WARN', POWERTOOLS_METRICS_DISABLED: 'true' },
});
let failed = false;
try {
  const o = cloud.outputs;
  say(
    `ready: aws=${cloud.endpoint} api=${cloud.apiUrl} ingest=s3://${o.IngestBucketName} archive=s3://${o.ArchiveBucketName}`,
  );
  const s3 = new S3Client({ forcePathStyle: true });
  const bucket = o.ArchiveBucketName as string;

  // 1. Upload a directory of varied logs as whole objects, as an application writing to the bucket would.
  const dir = mkdtempSync(join(tmpdir(), 'logvault-demo-'));
  writeTree(dir, { ...awkwardLogs(), 'nginx/access.log': Buffer.from(logText(60_000, 42)) });
  const files = await collectFiles([dir]);
  const source = 'demo-web';
  for (const f of files) await shipFile(s3, o.IngestBucketName as string, source, f);
  say(
    `uploaded ${files.length} files (${humanBytes(files.reduce((n, f) => n + f.size, 0))}) to s3://${o.IngestBucketName}/${source}/`,
  );

  // 2. Watch them arrive: small ones packed together, the large one archived alone.
  const ledger = { ddb: createDocumentClient(), table: o.MembersTableName as string };
  const listing = await pollUntil(
    async () => {
      const found = await listLogs({ s3, bucket, ledger }, { source });
      process.stdout.write(`\r         archived ${found.rows.length}/${files.length}`);
      return found.rows.length === files.length ? found : undefined;
    },
    'every shipped file to be archived',
    60_000,
  );
  process.stdout.write('\n');
  say('every file archived (zstd + AWS Encryption SDK, SSE-KMS, verified on write; logvault ls):');
  printTable(
    ['FILE', 'SIZE', 'ARCHIVE'],
    listing.rows.map((r) => [r.path, humanBytes(r.bytes), r.archiveKey ?? '?']),
  );

  // 3. Restore one and prove it.
  const keyring = archiveKeyring(o.ArchiveKeyArn as string, createKms());
  const deps = { s3, keyring, bucket, ingestBucket: o.IngestBucketName as string, ledger };
  const out = mkdtempSync(join(tmpdir(), 'logvault-demo-restore-'));
  const report = await restoreLogs(deps, source, out, { path: 'nginx/access.log', allowGaps: false });
  const path = report.logs[0]?.file as string;
  const same = readFileSync(path).equals(readFileSync(join(dir, 'nginx/access.log')));
  say(
    `restored ${source}/nginx/access.log: ${humanBytes(report.logs[0]?.bytes ?? 0)}, SHA-256 verified, byte-identical: ${same}`,
  );
  if (!same) throw new Error('restored file differs from the original');

  // 4. A log that grows and rotates, shipped run by run, restored whole.
  await rotatingLogDemo(cloud, say);

  // 5. Provision an instance through the HTTP API; run its shipper once; watch its logs archived.
  await provisionDemo(cloud, say);

  // 6. Sweep 40 days ahead: expired logs go, a held one stays. Last, since it moves the sweeper's clock.
  await sweepDemo(cloud, say);

  say(`demo finished in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
} catch (error) {
  failed = true;
  process.stderr.write(`demo failed: ${(error as Error).stack ?? String(error)}\n`);
} finally {
  await cloud.stop();
}
process.exit(failed ? 1 : 0);
