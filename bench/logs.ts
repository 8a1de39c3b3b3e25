import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { startLocalCloud } from '#local/cloud.ts';
import { logText } from '#local/sample-logs.ts';
import { runShipperOnce } from '#local/shipper.ts';
import { listKeys } from '#shared/clients/s3-list.ts';
import { SHIPPER_BUNDLE } from '#shared/provision/shipper-bundle.ts';
import { batchesIn, reassemble, wholeLog } from '../test/helpers/batches.ts';
import { projectRoot, work } from './measure.ts';

/**
 * A simulated host day, shipped by the real instance shipper (the bundle under Node, the AWS
 * CLI) into the local cloud: three logs appended to between `runs` runs, one rotated by rename
 * (logrotate `create`), one by `copytruncate`, and the renamed one later gzipped. What matters is
 * how many bytes and objects reach the ingest bucket for the bytes written.
 */
export interface LogsResult {
  readonly runs: number;
  readonly writtenBytes: number;
  readonly uploadedBytes: number;
  readonly objects: number;
  /** Uploaded bytes (batch objects, headers included) ÷ bytes written to the logs. */
  readonly amplification: number;
  /** The most objects any one run put into the ingest bucket. */
  readonly objectsPerRun: number;
  /** Every log restored from the batches equals what was written, each byte once. */
  readonly lossless: boolean;
  readonly seconds: number;
  readonly events: string[];
}

const LOGROTATE = '/usr/sbin/logrotate';

/** Installs logrotate with scripts/system-tools.sh when it is absent. */
export function ensureLogrotate(): void {
  if (spawnSync(LOGROTATE, ['--version']).status === 0) return;
  const r = spawnSync('bash', ['scripts/system-tools.sh'], { cwd: projectRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/system-tools.sh failed');
}

export async function benchLogs(opts: { runs: number; log: (line: string) => void }): Promise<LogsResult> {
  ensureLogrotate();
  const dir = join(work, 'logs');
  const logs = join(dir, 'var', 'log');
  mkdirSync(logs, { recursive: true });
  const names = ['app.log', 'web.log', 'messages'];
  const path = (name: string) => join(logs, name);
  const written = Object.fromEntries(names.map((n) => [path(n), '']));
  for (const n of names) writeFileSync(path(n), '');
  const rotate = (name: string, directives: string) => {
    const conf = join(dir, `${name}.conf`);
    writeFileSync(conf, `"${path(name)}" {\n  rotate 5\n  ${directives}\n}\n`);
    execFileSync(LOGROTATE, ['-f', '-s', join(dir, 'logrotate.status'), conf]);
  };
  const events = [
    {
      run: Math.floor(opts.runs * 0.4),
      what: 'app.log rotated by rename (logrotate create)',
      act: () => rotate('app.log', 'create'),
    },
    {
      run: Math.floor(opts.runs * 0.6),
      what: 'web.log rotated by logrotate copytruncate',
      act: () => rotate('web.log', 'copytruncate'),
    },
    {
      run: Math.floor(opts.runs * 0.75),
      what: 'app.log.1 gzipped',
      act: () => execFileSync('gzip', [path('app.log.1')]),
    },
  ];

  const cloud = await startLocalCloud({
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true' },
  });
  try {
    const s3 = new S3Client({ forcePathStyle: true });
    const ingest = cloud.outputs.IngestBucketName as string;
    // A source under the db-* policy, which leaves ingest objects in place, so they can be counted.
    const prefix = 'db-bench-host';
    const count = async () => (await listKeys(s3, ingest, `${prefix}/`)).length;
    const started = performance.now();
    let objectsPerRun = 0;
    let before = 0;
    for (let run = 0; run < opts.runs; run++) {
      names.forEach((name, i) => {
        // About 50 KB a log a run, a last line sometimes still being written; the last run ends lines.
        let text = logText(400 + ((run * 37 + i * 101) % 400), run * 10 + i + 1);
        if (run % 5 === i && run < opts.runs - 1) text += `partial line of run ${run} `;
        appendFileSync(path(name), text);
        written[path(name)] += text;
      });
      for (const e of events) if (e.run === run) e.act();
      await runShipperOnce({
        bundle: SHIPPER_BUNDLE,
        endpoint: cloud.endpoint,
        region: cloud.region,
        ingestBucket: ingest,
        instanceId: 'i-0bench000000000001',
        logPaths: names.map(path),
        stateDir: join(dir, 'state'),
        env: { LOGVAULT_KEY_PREFIX: prefix },
      });
      const now = await count();
      objectsPerRun = Math.max(objectsPerRun, now - before);
      before = now;
      if ((run + 1) % 24 === 0) opts.log(`  ${run + 1}/${opts.runs} runs, ${now} objects`);
    }
    const seconds = (performance.now() - started) / 1000;
    const batches = await batchesIn(s3, ingest, `${prefix}/`);
    const r = reassemble(batches);
    const writtenBytes = Object.values(written).reduce((n, t) => n + Buffer.byteLength(t), 0);
    const uploadedBytes = batches.reduce((n, b) => n + b.size, 0);
    const lossless =
      r.repeats === 0 &&
      names.every((n) => wholeLog(r, path(n)) === written[path(n)]) &&
      r.distinctBytes === writtenBytes;
    return {
      runs: opts.runs,
      writtenBytes,
      uploadedBytes,
      objects: batches.length,
      amplification: uploadedBytes / writtenBytes,
      objectsPerRun,
      lossless,
      seconds,
      events: events.map((e) => `run ${e.run}: ${e.what}`),
    };
  } finally {
    await cloud.stop();
  }
}
