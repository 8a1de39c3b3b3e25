import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devStateFile, isRunning } from '#cli/target.ts';
import { awkwardLogs, writeTree } from '#local/sample-logs.ts';
import { listKeys } from '../helpers/archive.ts';
import { eventually } from '../helpers/cloud.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'logvault.mjs');
const cli = (...args: string[]) => run(process.execPath, [bin, ...args], { maxBuffer: 64 * 1024 * 1024 });

let dev: ChildProcess;
let ready = '';
let readyMs = 0;

function childPids(pid: number): number[] {
  try {
    const out = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return out
      ? out
          .split(/\s+/)
          .map(Number)
          .flatMap((c) => [c, ...childPids(c)])
      : [];
  } catch {
    return [];
  }
}

beforeAll(async () => {
  const started = Date.now();
  dev = spawn(process.execPath, [bin, 'dev', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout?.on('data', (d: Buffer) => {
    ready += d.toString();
  });
  await eventually(
    async () => (ready.includes('ready') ? true : undefined),
    'logvault dev to be ready',
    60_000,
  );
  readyMs = Date.now() - started;
});

afterAll(() => {
  if (dev.exitCode === null) dev.kill('SIGKILL');
});

describe('logvault CLI against logvault dev', () => {
  const files = awkwardLogs();

  it('prints one ready line with endpoints and resource names within 60 s', () => {
    expect(readyMs).toBeLessThan(60_000);
    expect(ready).toMatch(
      /^logvault dev ready in .* aws=http:\/\/127\.0\.0\.1:\d+ api=http:\/\/127\.0\.0\.1:\d+ ingest=s3:\/\/\S+ archive=s3:\/\/\S+/,
    );
  });

  it('ships a directory and restores every file byte-identical by source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-cli-ship-'));
    writeTree(dir, files);
    await cli('ship', dir, '--source', 'cli-test');
    const listed = await eventually(async () => {
      const { stdout } = await cli('ls', '--source', 'cli-test', '--json');
      const rows = JSON.parse(stdout) as { archiveKey: string }[];
      return rows.length === Object.keys(files).length ? rows : undefined;
    }, 'every file archived');
    expect(listed).toHaveLength(Object.keys(files).length);

    const out = mkdtempSync(join(tmpdir(), 'lv-cli-restore-'));
    const { stdout } = await cli('restore', '--source', 'cli-test', '-o', out, '--json');
    expect(JSON.parse(stdout)).toMatchObject({ restored: Object.keys(files).length, failed: 0 });
    for (const [rel, content] of Object.entries(files)) {
      expect(readFileSync(join(out, 'cli-test', rel)).equals(content), rel).toBe(true);
    }
  });

  it('creates no second archive when the same files are shipped again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-cli-again-'));
    writeTree(dir, files);
    await cli('ship', dir, '--source', 'cli-test');
    // The default policy deletes each source once its archive exists, so an empty source folder
    // means the pipeline has handled every re-shipped file.
    const state = JSON.parse(readFileSync(devStateFile, 'utf8')) as {
      endpoint: string;
      outputs: Record<string, string>;
    };
    const s3 = new S3Client({
      endpoint: state.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await eventually(
      async () =>
        (await listKeys(s3, state.outputs.IngestBucketName as string, 'cli-test/')).length === 0
          ? true
          : undefined,
      're-shipped sources handled',
    );
    const { stdout } = await cli('ls', '--source', 'cli-test', '--json');
    expect(JSON.parse(stdout)).toHaveLength(Object.keys(files).length);
  });

  it('verifies every archive', async () => {
    const { stdout } = await cli('verify', '--json');
    expect(JSON.parse(stdout)).toMatchObject({ failed: 0 });
  });

  it('runs any function with a sample event from events/', async () => {
    const { stdout } = await cli('invoke', 'ingest', '-p', 'events/sqs-s3-notification.json');
    expect(JSON.parse(stdout)).toEqual({ batchItemFailures: [] });
  });

  it('refuses a restore without a target with a clear message and exit code 2', async () => {
    const err = await cli('restore').catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain('give an archive key or --source');
  });

  it('stops on SIGTERM within 5 s and leaves no child process', async () => {
    const pid = dev.pid as number;
    const children = childPids(pid);
    expect(children.length).toBeGreaterThan(0);
    const exited = new Promise<number | null>((r) => dev.once('exit', (code) => r(code)));
    const t0 = Date.now();
    dev.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    await eventually(
      async () => (children.every((c) => !isRunning(c)) ? true : undefined),
      'children gone',
      5000,
    );
  });
});
