import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devStateFile, isRunning } from '#cli/target.ts';
import { awkwardLogs, logText, writeTree } from '#local/sample-logs.ts';
import { collectFiles, shipFile } from '#shared/ingest/ship.ts';
import { listKeys } from '../helpers/archive.ts';
import { eventually } from '../helpers/cloud.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'logvault.mjs');
const cli = (...args: string[]) => run(process.execPath, [bin, ...args], { maxBuffer: 64 * 1024 * 1024 });

interface Failed {
  code: number;
  stdout: string;
  stderr: string;
}
/** Runs the CLI expecting it to fail, and returns its exit code and output. */
const cliFails = (...args: string[]) =>
  cli(...args).then(
    ({ stdout }) => {
      throw new Error(`logvault ${args.join(' ')} succeeded: ${stdout}`);
    },
    (e: Failed) => e,
  );

function devS3(): { s3: S3Client; outputs: Record<string, string> } {
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
  return { s3, outputs: state.outputs };
}

/**
 * Uploads every file under `dir`, whole, as a plain object under `source/`: what an application
 * writing into the ingest bucket does. (`logvault ship` sends batches; see cli-ship.test.ts.)
 */
async function upload(dir: string, source: string): Promise<void> {
  const { s3, outputs } = devS3();
  for (const f of await collectFiles([dir]))
    await shipFile(s3, outputs.IngestBucketName as string, source, f);
}

let dev: ChildProcess;
let ready = '';

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
  dev = spawn(process.execPath, [bin, 'dev', '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  dev.stdout?.on('data', (d: Buffer) => {
    ready += d.toString();
  });
  await eventually(
    async () => (ready.includes('ready') ? true : undefined),
    'logvault dev to be ready',
    60_000,
  );
});

afterAll(() => {
  if (dev.exitCode === null) dev.kill('SIGKILL');
});

describe('logvault CLI against logvault dev', () => {
  const files = awkwardLogs();

  it('prints one ready line with endpoints and resource names', () => {
    expect(ready).toMatch(
      /^logvault dev ready in .* aws=http:\/\/127\.0\.0\.1:\d+ api=http:\/\/127\.0\.0\.1:\d+ ingest=s3:\/\/\S+ archive=s3:\/\/\S+/,
    );
  });

  it('restores every uploaded file byte-identical by source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-cli-ship-'));
    writeTree(dir, files);
    await upload(dir, 'cli-test');
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

  it('creates no second archive when the same files are uploaded again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-cli-again-'));
    writeTree(dir, files);
    await upload(dir, 'cli-test');
    // The default policy deletes each source once its archive exists, so an empty source folder
    // means the pipeline has handled every re-shipped file.
    const { s3, outputs } = devS3();
    await eventually(
      async () =>
        (await listKeys(s3, outputs.IngestBucketName as string, 'cli-test/')).length === 0 ? true : undefined,
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

  describe('tampered archives', () => {
    const source = 'cli-tamper';
    const keys: Record<string, string> = {};
    let s3: S3Client;
    let bucket: string;

    const bytesOf = async (key: string) => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
    };
    const overwrite = (key: string, body: Buffer) =>
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

    beforeAll(async () => {
      const dev = devS3();
      s3 = dev.s3;
      bucket = dev.outputs.ArchiveBucketName as string;
      const names = ['flipped', 'swapped', 'truncated', 'donor'];
      const dir = mkdtempSync(join(tmpdir(), 'lv-cli-tamper-'));
      writeTree(
        dir,
        Object.fromEntries(names.map((n, i) => [`${n}.log`, Buffer.from(logText(3000, 10 + i))])),
      );
      await upload(dir, source);
      const rows = await eventually(async () => {
        const { stdout } = await cli('ls', '--source', source, '--json');
        const listed = JSON.parse(stdout) as { archiveKey: string; originalKey: string }[];
        return listed.length === names.length ? listed : undefined;
      }, 'the files to tamper with archived');
      for (const row of rows)
        keys[row.originalKey.replace(`${source}/`, '').replace('.log', '')] = row.archiveKey;

      const flipped = await bytesOf(keys.flipped as string);
      const middle = Math.floor(flipped.length / 2);
      flipped.writeUInt8(flipped.readUInt8(middle) ^ 0x01, middle);
      await overwrite(keys.flipped as string, flipped);
      await overwrite(keys.swapped as string, await bytesOf(keys.donor as string));
      const whole = await bytesOf(keys.truncated as string);
      await overwrite(keys.truncated as string, whole.subarray(0, Math.floor(whole.length * 0.6)));
    });

    it.each(['flipped', 'swapped', 'truncated'])(
      'restore of the %s archive exits 1, names it, and writes nothing to stdout',
      async (which) => {
        const key = keys[which] as string;
        const err = await cliFails('restore', key);
        expect(err.code).toBe(1);
        expect(err.stdout).toBe('');
        expect(err.stderr).toContain(`restore failed: ${key}: `);
      },
    );

    it('restore of the source to a directory exits 1, names each tampered archive, and writes only the intact one', async () => {
      const out = mkdtempSync(join(tmpdir(), 'lv-cli-tamper-out-'));
      const err = await cliFails('restore', '--source', source, '-o', out, '--json');
      expect(err.code).toBe(1);
      const report = JSON.parse(err.stdout) as {
        restored: number;
        results: { archiveKey: string; error?: string }[];
      };
      expect(report.restored).toBe(1);
      for (const which of ['flipped', 'swapped', 'truncated']) {
        const key = keys[which] as string;
        expect(report.results.find((r) => r.archiveKey === key)?.error).toContain(key);
        expect(err.stderr).toContain(`restore failed: ${key}: `);
      }
      expect(readdirSync(join(out, source))).toEqual(['donor.log']);
      expect(readdirSync(out)).toEqual([source]);
    });

    it('verify exits 1 and names every tampered archive, and only those', async () => {
      const json = await cliFails('verify', '--source', source, '--json');
      expect(json.code).toBe(1);
      const summary = JSON.parse(json.stdout) as {
        checked: number;
        failed: number;
        failures: { archiveKey: string; error: string }[];
      };
      expect(summary).toMatchObject({ checked: 4, failed: 3 });
      const tampered = ['flipped', 'swapped', 'truncated'].map((w) => keys[w] as string).sort();
      expect(summary.failures.map((f) => f.archiveKey).sort()).toEqual(tampered);
      for (const f of summary.failures) expect(f.error).toContain(f.archiveKey);
      expect(summary.failures.find((f) => f.archiveKey === keys.swapped)?.error).toMatch(
        /names another object/,
      );

      const human = await cliFails('verify', '--source', source);
      expect(human.code).toBe(1);
      for (const key of tampered) expect(human.stderr).toContain(`FAIL ${key}: `);
      expect(human.stderr).toContain('3 archive(s) failed verification');
    });

    it('ls still lists the tampered archives, marking those whose metadata is gone', async () => {
      const { stdout } = await cli('ls', '--source', source, '--json');
      const rows = JSON.parse(stdout) as { archiveKey: string; originalKey: string }[];
      expect(rows.map((r) => r.archiveKey).sort()).toEqual(Object.values(keys).sort());
      const marked = rows.filter((r) => r.originalKey.startsWith('(metadata missing'));
      expect(marked.map((r) => r.archiveKey).sort()).toEqual(
        ['flipped', 'swapped', 'truncated'].map((w) => keys[w] as string).sort(),
      );
      const human = await cli('ls', '--source', source);
      expect(human.stderr).toContain('4 archive(s), 3 with missing metadata');
    });

    it('verify of everything fails too, naming the tampered archives', async () => {
      const err = await cliFails('verify', '--json');
      expect(err.code).toBe(1);
      const summary = JSON.parse(err.stdout) as { failed: number; failures: { archiveKey: string }[] };
      expect(summary.failed).toBe(3);
      expect(summary.failures.map((f) => f.archiveKey)).toContain(keys.flipped);
    });
  });

  it('stops cleanly on SIGTERM and leaves no child process', async () => {
    const pid = dev.pid as number;
    const children = childPids(pid);
    expect(children.length).toBeGreaterThan(0);
    const exited = new Promise<number | null>((r) => dev.once('exit', (code) => r(code)));
    dev.kill('SIGTERM');
    expect(await exited).toBe(0);
    await eventually(
      async () => (children.every((c) => !isRunning(c)) ? true : undefined),
      'children gone',
      5000,
    );
  });
});
