import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resetMoto } from '#local/moto.ts';
import { logText, writeTree } from '#local/sample-logs.ts';
import { collectFiles, shipFile } from '#shared/ingest/ship.ts';
import { eventually } from '../helpers/cloud.ts';
import { cliBin, jsonOf, runCli } from '../helpers/run-cli.ts';

const endpoint = inject('motoEndpoint');
const stateDir = mkdtempSync(join(tmpdir(), 'lv-operator-state-'));
const env = { LOGVAULT_STATE_DIR: stateDir };
const cli = (...args: string[]) => runCli(args, { env });
const logFile = join(stateDir, 'handlers.log');
const FAR_FUTURE = '2099-01-01';

interface Dev {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
}

/** Starts `logvault dev` on the run's emulator, as a user would, and waits for its ready line. */
async function startDev(...args: string[]): Promise<Dev> {
  const child = spawn(process.execPath, [cliBin, 'dev', '--endpoint', endpoint, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const dev: Dev = { child, stdout: '', stderr: '' };
  child.stdout?.on('data', (d: Buffer) => {
    dev.stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    dev.stderr += d.toString();
  });
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`logvault dev exited ${child.exitCode}: ${dev.stderr}`);
      return /ready/.test(dev.stdout) ? true : undefined;
    },
    'logvault dev to be ready',
    90_000,
  );
  return dev;
}

async function stopDev(dev: Dev): Promise<void> {
  if (dev.child.exitCode !== null) return;
  const exited = new Promise((r) => dev.child.once('exit', r));
  dev.child.kill('SIGTERM');
  await exited;
}

const devState = () =>
  JSON.parse(readFileSync(join(stateDir, 'dev.json'), 'utf8')) as {
    pid: number;
    endpoint: string;
    apiUrl: string;
    outputs: Record<string, string>;
  };

/**
 * Uploads each file whole as an object under `source/` (what an application writing into the
 * ingest bucket does; `logvault ship` sends batches) and waits until `ls` lists all of them.
 */
async function uploadAndWait(
  source: string,
  files: Record<string, Buffer>,
): Promise<{ archiveKey: string }[]> {
  const dir = mkdtempSync(join(tmpdir(), `lv-operator-${source}-`));
  writeTree(dir, files);
  const s3 = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  for (const f of await collectFiles([dir]))
    await shipFile(s3, devState().outputs.IngestBucketName as string, source, f);
  return eventually(async () => {
    const rows = jsonOf(await cli('ls', '--source', source, '--json')) as { archiveKey: string }[];
    return rows.length === Object.keys(files).length ? rows : undefined;
  }, `the logs of ${source} archived`);
}

/** Runs `logvault ARGS | head -n 0` in a shell: the reader closes stdout before the first line. */
async function intoClosedPipe(...args: string[]) {
  const line = `"${process.execPath}" "${cliBin}" ${args.join(' ')} | head -n 0; echo "status=\${PIPESTATUS[0]}" >&2`;
  const { stderr } = await promisify(execFile)('bash', ['-c', line], { env: { ...process.env, ...env } });
  return stderr;
}

let dev: Dev;

beforeAll(async () => {
  await resetMoto(endpoint);
  dev = await startDev('--json', '--log-file', logFile);
});

afterAll(async () => {
  await stopDev(dev);
});

describe('logvault dev as an operator runs it', () => {
  it('with --json, prints the ready line and every handler record as JSON lines, and keeps them in --log-file', async () => {
    await uploadAndWait('json-lines', { 'a.log': Buffer.from(logText(20, 1)) });
    const lines = dev.stdout.trim().split('\n');
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({ event: 'ready', aws: endpoint, pid: dev.child.pid });
    expect(parsed.some((r) => r.message === 'archived')).toBe(true);
    const kept = readFileSync(logFile, 'utf8').trim().split('\n');
    expect(kept.map((l) => JSON.parse(l)).some((r) => r.message === 'archived')).toBe(true);
  });

  it('refuses a second dev in the same checkout, naming the first one, and leaves the first running', async () => {
    const second = await runCli(['dev', '--endpoint', endpoint], { env });
    expect(second.code).toBe(1);
    const first = devState();
    expect(second.stderr).toContain(
      `logvault dev is already running for this checkout (pid ${dev.child.pid}, aws=${first.endpoint} api=${first.apiUrl})`,
    );
    expect(devState().pid).toBe(dev.child.pid);
    expect((await cli('ls', '--json')).code).toBe(0);
  });
});

describe('commands an operator puts in scripts', () => {
  it('every --json output parses: ship, invoke, redrive, provision, instances', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-operator-json-'));
    writeTree(dir, { 'one.log': Buffer.from('one\n') });
    const state = mkdtempSync(join(tmpdir(), 'lv-operator-ship-state-'));
    expect(jsonOf(await cli('ship', dir, '--source', 'json-ship', '--state', state, '--json'))).toMatchObject(
      {
        source: 'json-ship',
        stateDir: state,
        files: 1,
        batch: { logBytes: 4, segments: 1 },
      },
    );
    expect(jsonOf(await cli('invoke', 'ingest', '-p', 'events/sqs-s3-notification.json', '--json'))).toEqual({
      function: 'ingest',
      ok: true,
      result: { batchItemFailures: [] },
    });
    expect(jsonOf(await cli('redrive', '--json'))).toEqual({ ingest: 0, archive: 0 });
    const request = jsonOf(
      await cli(
        'provision',
        '--name',
        'json-web',
        '--type',
        't4g.micro',
        '--every',
        'rate(15 minutes)',
        '--json',
      ),
    ) as { requestId: string };
    expect(request.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(jsonOf(await cli('instances', '--request', request.requestId, '--json'))).toMatchObject({
      requestId: request.requestId,
    });
    expect(Array.isArray(jsonOf(await cli('instances', '-s', 'json-web', '--json')))).toBe(true);
  });

  it('a closed stdout ends the command quietly with the SIGPIPE status, not a stack trace', async () => {
    await uploadAndWait('pipe', { 'a.log': Buffer.from('a\n'), 'b.log': Buffer.from('b\n') });
    for (const args of [['ls'], ['sweep', '--dry-run', '--now', FAR_FUTURE]]) {
      const stderr = await intoClosedPipe(...args);
      expect(stderr, args.join(' ')).toContain('status=141');
      expect(stderr).not.toContain('EPIPE');
      expect(stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('ship prints no progress when stderr is not a terminal, and bytes and rate when it is', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-operator-progress-'));
    writeFileSync(join(dir, 'big.log'), logText(60_000, 9));
    const state = (name: string) => mkdtempSync(join(tmpdir(), `lv-operator-${name}-`));
    const piped = await cli('ship', dir, '--source', 'progress', '--state', state('piped'));
    expect(piped).toMatchObject({ code: 0, stderr: '' });

    const command = `"${process.execPath}" "${cliBin}" ship "${dir}" --source progress --state "${state('tty')}"`;
    const { stdout } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
      env: { ...process.env, ...env, COLUMNS: '200' },
    });
    expect(stdout).toMatch(/\rshipping [\d.]+ MiB, [\d.]+ [KMG]?i?B\/s/);
  });

  it('provision errors name the flags the user typed, in words', async () => {
    const run = await cli(
      'provision',
      '--name',
      'web',
      '--type',
      't9.huge',
      '--every',
      'rate(5 minute)',
      '--log-path',
      'relative/path',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('logvault: the API refused the request: ');
    expect(run.stderr).toContain('--type: must be one of t4g.nano, t4g.micro');
    expect(run.stderr).toContain('--every: rate unit must be "minutes" when the value is not 1');
    expect(run.stderr).toContain('--log-path "relative/path": must be an absolute path or glob');
    expect(run.stderr).not.toMatch(/backupFrequency|instanceType|logPaths/);
  });

  it('provision without --wait offers a command to follow the request, and that command works', async () => {
    const run = await cli(
      'provision',
      '--name',
      'follow',
      '--type',
      't4g.micro',
      '--every',
      'rate(15 minutes)',
    );
    expect(run.code).toBe(0);
    const follow = /follow it with: logvault (instances --request ([0-9a-f-]{36}))/.exec(run.stdout);
    expect(follow, run.stdout).not.toBeNull();
    const status = await eventually(async () => {
      const r = await cli(...(follow?.[1] ?? '').split(' '));
      return r.stdout.startsWith('running: i-') ? r : undefined;
    }, 'the request to run');
    expect(status.stdout).toContain(`(request ${follow?.[2]})`);
  });

  it('a sweep dry run says what it would delete and free, under names that say so', async () => {
    const report = jsonOf(await cli('sweep', '--dry-run', '--now', FAR_FUTURE, '--json')) as Record<
      string,
      unknown
    >;
    expect(report).toMatchObject({ dryRun: true, deleted: 0, bytesFreed: 0, deletedKeys: [] });
    expect(report.wouldDelete).toBeGreaterThan(0);
    expect(report.bytesWouldFree).toBeGreaterThan(0);
    expect(report.wouldDeleteKeys).toHaveLength(report.wouldDelete as number);
    const human = await cli('sweep', '--dry-run', '--now', FAR_FUTURE);
    expect(human.stderr).toMatch(
      /^dry run: scanned \d+, expired \d+, would delete \d+, would free [\d.]+ K?i?B,/,
    );
  });

  it('a sweep with a moved clock deletes nothing without --yes, says how much it would, then deletes with --yes', async () => {
    // The sweeper deletes archive objects (packs among them): `ls --archives` lists those.
    const before = (jsonOf(await cli('ls', '--archives', '--json')) as unknown[]).length;
    const refused = await cli('sweep', '--now', FAR_FUTURE);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(
      new RegExp(
        `^logvault: sweep --now ${FAR_FUTURE} would delete ${before} archive\\(s\\) \\([\\d.]+ K?i?B\\) as if the clock read 2099-01-01T00:00:00.000Z`,
      ),
    );
    expect(refused.stderr).toContain('Pass --yes to do it');
    expect(jsonOf(await cli('ls', '--archives', '--json'))).toHaveLength(before);

    const done = jsonOf(await cli('sweep', '--now', FAR_FUTURE, '--yes', '--json')) as { deleted: number };
    expect(done.deleted).toBe(before);
    expect(jsonOf(await cli('ls', '--archives', '--json'))).toHaveLength(0);
    expect(jsonOf(await cli('ls', '--json'))).toHaveLength(0);
  });
});

describe('logvault dev --endpoint after its state file is gone', () => {
  it('adopts the stack it finds in the emulator, keys included, and prints short lines on stdout', async () => {
    await uploadAndWait('adopt', { 'kept.log': Buffer.from(logText(50, 3)) });
    const keyBefore = devState().outputs.ArchiveKeyArn;
    await stopDev(dev);
    expect(existsSync(join(stateDir, 'dev.json'))).toBe(false);
    rmSync(join(stateDir, 'stack.json'));

    dev = await startDev();
    expect(dev.stdout).toMatch(/^logvault dev ready in [\d.]+s: aws=/);
    expect(dev.stderr).not.toContain('already exists');
    expect(devState().outputs.ArchiveKeyArn).toBe(keyBefore);
    const out = mkdtempSync(join(tmpdir(), 'lv-operator-adopted-'));
    const restored = await cli('restore', '--source', 'adopt', '-o', out);
    expect(restored.code, restored.stderr).toBe(0);
    expect(readFileSync(join(out, 'adopt', 'kept.log'), 'utf8')).toBe(logText(50, 3));

    await uploadAndWait('adopt-after', { 'new.log': Buffer.from('new\n') });
    const events = dev.stdout.trim().split('\n').slice(1);
    expect(events.some((l) => /^\d\d:\d\d:\d\d archived {2}objectKey=adopt-after\/new\.log /.test(l))).toBe(
      true,
    );
    expect(events.every((l) => !l.startsWith('{'))).toBe(true);
  });
});
