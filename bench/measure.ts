import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { build } from 'esbuild';
import { ensurePackaged } from '#local/package.ts';
import { DYNAMODB_TABLE_CLASSES, type DynamoTableClass } from '#shared/cost/prices.ts';
import type { WorkerResult, WorkerSpec } from './worker.ts';

export const projectRoot = resolve(import.meta.dirname, '..');
export const work = mkdtempSync(join(tmpdir(), 'logvault-bench-'));
export const MB = 1e6;
export const MiB = 1024 * 1024;

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};

/** Installs the zstd CLI from Debian's packages when it is absent. */
export function ensureZstd(): void {
  if (spawnSync('zstd', ['--version']).status === 0) return;
  console.log('zstd CLI missing: apt-get install -y zstd');
  for (const args of [['update'], ['install', '-y', 'zstd']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}

/** Installs moto into .venv when it is absent. */
export function ensureMoto(): void {
  if (existsSync(join(projectRoot, '.venv/bin/moto_server'))) return;
  const r = spawnSync('bash', ['scripts/python-env.sh'], { cwd: projectRoot, stdio: 'inherit' });
  if (r.status !== 0) throw new Error('scripts/python-env.sh failed');
}

/**
 * Bundles the worker the way serverless-esbuild bundles a function, so it runs as plain Node.
 * `root` is the tree to bundle from (bench/ab.ts builds older versions of shared/ this way).
 */
export async function buildWorker(outfile = join(work, 'worker.mjs'), root = projectRoot): Promise<string> {
  await build({
    entryPoints: [join(root, 'bench/worker.ts')],
    bundle: true,
    minify: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    outfile,
    logLevel: 'warning',
    // As serverless.yml's custom.esbuild builds the functions.
    mainFields: ['module', 'main'],
    plugins: createRequire(import.meta.url)('../infra/esbuild-plugins.cjs'),
    banner: {
      js: "import { createRequire as __r } from 'node:module'; const require = __r(import.meta.url);",
    },
  });
  return outfile;
}

/**
 * The archive function's NODE_OPTIONS as deployed (from the packaged CloudFormation template, so
 * the bench cannot drift from serverless.yml). Every worker child runs with exactly these.
 */
export async function archiveNodeOptions(): Promise<string> {
  const fn = (await packagedResources()).ArchiveLambdaFunction as
    | { Properties?: { Environment?: { Variables?: Record<string, unknown> } } }
    | undefined;
  if (!fn) throw new Error('packaged template has no ArchiveLambdaFunction');
  const value = fn.Properties?.Environment?.Variables?.NODE_OPTIONS;
  return typeof value === 'string' ? value : '';
}

export interface Measured {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMiB: number;
  readonly bytesIn?: number;
  readonly bytesOut?: number;
  readonly peaksMiB?: WorkerResult['peaksMiB'];
}

function exited(child: ChildProcess): Promise<number> {
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code) => done(code ?? -1));
  });
}

/**
 * Runs `cmd` pinned to CPU 1 under GNU time; wall clock is measured here, CPU and peak RSS by time(1).
 * stdin is a file, a stream (a generator's stdout) or nothing; stdout is counted or discarded.
 */
export async function pinned(
  cmd: string[],
  opts: { stdin?: Readable | 'ignore'; env?: NodeJS.ProcessEnv; captureStdout?: boolean } = {},
): Promise<Measured & { stdout: string }> {
  const timeFile = join(work, `time-${process.hrtime.bigint()}`);
  const t0 = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', timeFile, 'taskset', '-c', '1', ...cmd], {
    stdio: [opts.stdin ?? 'ignore', opts.captureStdout ? 'pipe' : 'ignore', 'pipe'],
    env: opts.env ?? process.env,
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => (stdout += d));
  child.stderr?.on('data', (d) => (stderr += d));
  const code = await exited(child);
  const wallMs = performance.now() - t0;
  if (code !== 0) throw new Error(`${cmd.join(' ')} exited ${code}: ${stderr.slice(-2000)}`);
  // GNU time's last line: elapsed, user, system seconds and peak RSS in KiB.
  const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop() ?? '';
  const [, user, sys, rssKiB] = last.split(' ').map(Number);
  return { wallMs, cpuMs: ((user ?? 0) + (sys ?? 0)) * 1000, maxRssMiB: (rssKiB ?? 0) / 1024, stdout };
}

/** One worker run: the worker's own timing (from the first byte), GNU time's peak RSS. */
export async function pinnedWorker(
  workerPath: string,
  spec: WorkerSpec,
  env: Record<string, string>,
  stdin?: Readable,
): Promise<Measured> {
  const r = await pinned([process.execPath, workerPath, JSON.stringify(spec)], {
    env: { ...process.env, ...env },
    captureStdout: true,
    ...(stdin ? { stdin } : {}),
  });
  const own = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as WorkerResult;
  return { ...own, maxRssMiB: r.maxRssMiB };
}

/** Starts the generator process and resolves once it has its block ready and is writing. */
export async function startGenerator(bytes: number): Promise<{ stdout: Readable; done: Promise<number> }> {
  const child = spawn(
    'taskset',
    [
      '-c',
      '0',
      process.execPath,
      '--import',
      'tsx',
      join(projectRoot, 'bench/generate.ts'),
      `--bytes=${bytes}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], cwd: projectRoot },
  );
  const done = exited(child);
  await new Promise<void>((ready, fail) => {
    child.stderr?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) ready();
    });
    done.then((code) => fail(new Error(`generator exited ${code} before it was ready`)));
  });
  return { stdout: child.stdout as Readable, done };
}

export function machine(): Record<string, string | number> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? 'unknown';
  const zstd = spawnSync('zstd', ['--version'], { encoding: 'utf8' }).stdout.trim();
  const memKiB = Number(/MemTotal:\s*(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  return {
    cpuModel: model,
    cpus: (cpuinfo.match(/^processor/gm) ?? []).length,
    memoryMiB: Math.round(memKiB / 1024),
    node: process.version,
    zstdCli: zstd,
    loadAverageAtStart: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    date: new Date().toISOString(),
  };
}

async function packagedResources(): Promise<Record<string, { Properties?: Record<string, unknown> }>> {
  const template = JSON.parse(readFileSync(await ensurePackaged('local'), 'utf8')) as {
    Resources: Record<string, { Properties?: Record<string, unknown> }>;
  };
  return template.Resources;
}

/** The member ledger's table class as deployed (DynamoDB's default when the template names none). */
export async function membersTableClass(): Promise<DynamoTableClass> {
  const declared = (await packagedResources()).MembersTable?.Properties?.TableClass ?? 'STANDARD';
  const known = DYNAMODB_TABLE_CLASSES.find((c) => c === declared);
  if (!known) throw new Error(`MembersTable: table class ${String(declared)} is not in the price table`);
  return known;
}
