import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageStack } from '#local/package.ts';
import { MiB, median, work } from './measure.ts';

export interface BundleRow {
  readonly fn: string;
  readonly zipBytes: number;
  readonly mjsBytes: number;
  readonly initMsMedian: number;
  readonly initMsRuns: number[];
}

/** Values that pass each function's config schema; nothing is called during module init. */
function dummyEnv(name: string): string {
  if (name.endsWith('_ARN'))
    return 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000';
  if (name.endsWith('_URL')) return 'https://sqs.us-east-1.amazonaws.com/123456789012/bench';
  if (name.endsWith('_COUNT')) return '1';
  if (name === 'PROVISION_INSTANCE_TYPES') return 't4g.nano';
  if (name === 'AMI_PARAMETER') return '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64';
  if (name === 'POWERTOOLS_LOG_LEVEL') return 'INFO';
  return 'bench-dummy';
}

const CONFIG_VARS = [
  'ARCHIVE_BUCKET',
  'ARCHIVE_KEY_ARN',
  'ARCHIVE_QUEUE_URL',
  'REQUESTS_TABLE',
  'PROVISION_QUEUE_URL',
  'PROVISION_INSTANCE_TYPES',
  'PROVISION_MAX_COUNT',
  'LOGVAULT_STAGE',
  'INGEST_BUCKET',
  'INSTANCE_PROFILE_ARN',
  'AMI_PARAMETER',
  'SWEEP_QUEUE_URL',
  'DEAD_LETTER_QUEUE_URL',
  'MEMBERS_TABLE',
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
];

const IMPORT = `const t0 = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t0));`;

/** Section 4: `serverless package`, then each bundle's size and its module-init time in fresh Node processes. */
export async function benchBundles(opts: {
  runs: number;
  log: (line: string) => void;
}): Promise<BundleRow[]> {
  const out = join(work, 'package');
  opts.log('  serverless package…');
  await packageStack('local', out);
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'dummy',
    AWS_SECRET_ACCESS_KEY: 'dummy',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    ...Object.fromEntries(CONFIG_VARS.map((v) => [v, dummyEnv(v)])),
  };
  const rows: BundleRow[] = [];
  for (const zip of readdirSync(out)
    .filter((f) => f.endsWith('.zip'))
    .sort()) {
    const fn = zip.replace(/\.zip$/, '');
    const dir = join(out, fn);
    mkdirSync(dir, { recursive: true });
    const unzip = spawnSync('unzip', ['-o', '-q', join(out, zip), '-d', dir]);
    if (unzip.status !== 0) throw new Error(`unzip ${zip} failed: ${unzip.stderr}`);
    const mjs = join(dir, 'functions', `${fn}.mjs`);
    const initMsRuns: number[] = [];
    for (let i = 0; i < opts.runs; i++) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', IMPORT, pathToFileURL(mjs).href], {
        env,
        encoding: 'utf8',
        cwd: dir,
      });
      if (r.status !== 0) throw new Error(`import of ${fn} failed: ${r.stderr.slice(-1500)}`);
      initMsRuns.push(Number(r.stdout));
    }
    const row = {
      fn,
      zipBytes: statSync(join(out, zip)).size,
      mjsBytes: statSync(mjs).size,
      initMsMedian: median(initMsRuns),
      initMsRuns,
    };
    rows.push(row);
    opts.log(`  ${fn}: ${(row.mjsBytes / MiB).toFixed(2)} MiB, init ${row.initMsMedian.toFixed(0)} ms`);
  }
  return rows;
}
