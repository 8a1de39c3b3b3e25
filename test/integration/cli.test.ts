import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { devStateFile, isRunning } from '#cli/target.ts';
import { awkwardLogs, logText, writeTree } from '#local/sample-logs.ts';
import { restoreNames } from '#shared/archive/restore-names.ts';
import { RECORD_PRINCIPAL_ENV } from '#shared/clients/call-recorder.ts';
import { collectFiles, shipFile } from '#shared/ingest/ship.ts';
import { listKeys, replaceMetadata } from '../helpers/archive.ts';
import { eventually } from '../helpers/cloud.ts';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '..', '..', 'bin', 'logvault.mjs');
const cli = (...args: string[]) => run(process.execPath, [bin, ...args], { maxBuffer: 64 * 1024 * 1024 });
/** The CLI run by an operator who assumed ArchiveRestoreRole: its AWS calls are recorded as that role's. */
const asRestoreRole = (...args: string[]) =>
  run(process.execPath, [bin, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, [RECORD_PRINCIPAL_ENV]: 'ArchiveRestoreRole' },
  });

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
      const { stdout } = await asRestoreRole('ls', '--source', 'cli-test', '--json');
      const rows = JSON.parse(stdout) as { archiveKey: string }[];
      return rows.length === Object.keys(files).length ? rows : undefined;
    }, 'every file archived');
    expect(listed).toHaveLength(Object.keys(files).length);

    const out = mkdtempSync(join(tmpdir(), 'lv-cli-restore-'));
    const { stdout } = await asRestoreRole('restore', '--source', 'cli-test', '-o', out, '--json');
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
    const { stdout } = await asRestoreRole('ls', '--source', 'cli-test', '--json');
    expect(JSON.parse(stdout)).toHaveLength(Object.keys(files).length);
  });

  it('verifies every archive', async () => {
    const { stdout } = await asRestoreRole('verify', '--json');
    expect(JSON.parse(stdout)).toMatchObject({ failed: 0 });
  });

  it("holds an archive as ArchiveRestoreRole, and releases it with the operator's own rights", async () => {
    const { stdout } = await asRestoreRole('ls', '--source', 'cli-test', '--json');
    const [first] = JSON.parse(stdout) as { archiveKey: string }[];
    const archiveKey = first?.archiveKey as string;
    const { s3, outputs } = devS3();
    const legalHold = async () =>
      (await s3.send(new HeadObjectCommand({ Bucket: outputs.ArchiveBucketName, Key: archiveKey })))
        .ObjectLockLegalHoldStatus;

    await asRestoreRole('hold', archiveKey);
    expect(await legalHold()).toBe('ON');
    await cli('release', archiveKey);
    expect(await legalHold()).toBe('OFF');
  });

  it('runs any function with a sample event from events/', async () => {
    const { stdout } = await cli('invoke', 'ingest', '-p', 'events/sqs-s3-notification.json');
    expect(JSON.parse(stdout)).toEqual({ batchItemFailures: [] });
  });

  it('refuses a restore without a target with a clear message and exit code 2', async () => {
    const err = await asRestoreRole('restore').catch((e: { code: number; stderr: string }) => e);
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
      // Above the pack threshold (4 MiB): each is archived alone, on the v1 path.
      writeTree(
        dir,
        Object.fromEntries(names.map((n, i) => [`${n}.log`, Buffer.from(logText(60_000, 10 + i))])),
      );
      await upload(dir, source);
      const rows = await eventually(async () => {
        const { stdout } = await asRestoreRole('ls', '--source', source, '--json');
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
      const { stdout } = await asRestoreRole('ls', '--source', source, '--json');
      const rows = JSON.parse(stdout) as { archiveKey: string; originalKey: string }[];
      expect(rows.map((r) => r.archiveKey).sort()).toEqual(Object.values(keys).sort());
      const marked = rows.filter((r) => r.originalKey.startsWith('(metadata missing'));
      expect(marked.map((r) => r.archiveKey).sort()).toEqual(
        ['flipped', 'swapped', 'truncated'].map((w) => keys[w] as string).sort(),
      );
      // The archive objects themselves are listed by `ls --archives`.
      const human = await asRestoreRole('ls', '--archives', '--source', source);
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

  describe('hostile keys, links and metadata', () => {
    let s3: S3Client;
    let ingest: string;
    let bucket: string;
    /** A row of `ls --json`: one log (here, objects: each a log of its own). */
    interface Row {
      archiveKey: string;
      originalKey: string;
      generation: string;
      firstTime: string;
      members: string[];
    }
    /** A row of `ls --archives --json`: one archive object. */
    interface ArchiveRow {
      archiveKey: string;
      policy: string;
      unreadable: string[];
    }
    const archivesOf = async (source: string) =>
      JSON.parse(
        (await asRestoreRole('ls', '--archives', '--source', source, '--json')).stdout,
      ) as ArchiveRow[];
    const listed = async (source: string) =>
      JSON.parse((await asRestoreRole('ls', '--source', source, '--json')).stdout) as Row[];
    const archivedAll = (source: string, n: number) =>
      eventually(async () => {
        const rows = await listed(source);
        return rows.length === n ? rows : undefined;
      }, `${n} archive(s) of ${source}`);
    const put = (key: string, body: string) =>
      s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: body }));
    beforeAll(() => {
      const dev = devS3();
      s3 = dev.s3;
      ingest = dev.outputs.IngestBucketName as string;
      bucket = dev.outputs.ArchiveBucketName as string;
    });

    it('keys with control characters: listed escaped for people and exact in JSON, restored, verified and held', async () => {
      const source = 'cli-ctl';
      const bodies: Record<string, string> = {
        [`${source}/ctl\x01.log`]: 'one\n',
        [`${source}/esc\x1b[31mred.log`]: 'two\n',
        [`${source}/cr\r.log`]: 'three\n',
      };
      for (const [key, body] of Object.entries(bodies)) await put(key, body);
      const rows = await archivedAll(source, 3);
      expect(rows.map((r) => r.originalKey).sort()).toEqual(Object.keys(bodies).sort());

      const human = await asRestoreRole('ls', '--source', source);
      for (const raw of ['\x01', '\x1b', '\r']) expect(human.stdout).not.toContain(raw);
      expect(human.stdout).toContain('esc\\x1b[31mred.log');
      expect(human.stdout).toContain('cr\\r.log');
      // One row per log (an object is a log of its own).
      expect(human.stderr).toBe('3 log(s)\n');

      const out = mkdtempSync(join(tmpdir(), 'lv-cli-ctl-'));
      const restored = JSON.parse(
        (await asRestoreRole('restore', '--source', source, '-o', out, '--json')).stdout,
      );
      expect(restored).toMatchObject({ restored: 3, failed: 0 });
      for (const [key, body] of Object.entries(bodies))
        expect(readFileSync(join(out, key), 'utf8')).toBe(body);

      // Small objects are packed: verify, hold and release count the archives (packs) holding them.
      const archives = [...new Set(rows.map((r) => r.archiveKey))].sort();
      expect((await asRestoreRole('verify', '--source', source)).stdout).toBe(
        `verified ${archives.length} of ${archives.length} archive(s); 0 failed\n`,
      );
      const held = await asRestoreRole('hold', '--source', source, '--json');
      expect(JSON.parse(held.stdout)).toMatchObject({ failed: [] });
      expect((JSON.parse(held.stdout).archives as string[]).sort()).toEqual(archives);
      // A pack holds other sources' logs too: it is released by its key, never by --source.
      const bySource = await cliFails('release', '--source', source);
      for (const key of archives) expect(bySource.stderr).toContain(`not released: ${key}, a pack`);
      for (const key of archives)
        expect((await cli('release', key)).stderr).toContain('released 1 of 1 archive(s)');
      // One log by its member id: the ledger's claim names the pack that holds it.
      const [first] = rows;
      const byMember = await asRestoreRole('hold', first?.members[0] as string, '--json');
      expect(JSON.parse(byMember.stdout).archives).toEqual([first?.archiveKey]);
      expect((await cli('release', first?.archiveKey as string)).stderr).toContain(
        'released 1 of 1 archive(s)',
      );
    });

    it('a link inside the output directory: every restore through it is refused and named, nothing lands where it points', async () => {
      const out = realpathSync(mkdtempSync(join(tmpdir(), 'lv-cli-link-')));
      const elsewhere = mkdtempSync(join(tmpdir(), 'lv-cli-elsewhere-'));
      symlinkSync(elsewhere, join(out, 'cli-test'));
      const err = await cliFails('restore', '--source', 'cli-test', '-o', out);
      expect(err.code).toBe(1);
      expect(err.stderr).toContain(`refused to write ${join(out, 'cli-test')}: a symbolic link on the way`);
      expect(readdirSync(elsewhere)).toEqual([]);
      expect(readdirSync(out)).toEqual(['cli-test']);
    });

    it('versions of one key and keys that collapse to one path: ls tells them apart, restore keeps every one', async () => {
      const source = 'cli-ver';
      await put(`${source}/a.log`, 'first\n');
      await archivedAll(source, 1);
      await put(`${source}/a.log`, 'second\n');
      await put(`${source}//b.log`, 'slashes\n');
      await put(`${source}/b.log`, 'plain\n');
      const rows = await archivedAll(source, 4);
      // Two versions of a key are two generations of one log, each a row of its own.
      const versions = rows.filter((r) => r.originalKey === `${source}/a.log`);
      expect(versions).toHaveLength(2);
      expect(new Set(versions.map((r) => r.members[0])).size).toBe(2);
      const human = await asRestoreRole('ls', '--source', source);
      for (const r of rows) expect(human.stdout).toContain(r.generation);

      const out = mkdtempSync(join(tmpdir(), 'lv-cli-ver-'));
      const report = JSON.parse(
        (await asRestoreRole('restore', '--source', source, '-o', out, '--json')).stdout,
      ) as {
        restored: number;
        results: { members: string[]; path: string; renamed: boolean }[];
      };
      expect(report.restored).toBe(4);
      // Each name follows from what ls --json shows: original key, modification time and member id.
      const names = restoreNames(
        rows.map((r) => ({
          originalKey: r.originalKey,
          modified: new Date(r.firstTime),
          id: r.members[0] as string,
        })),
      );
      for (const [i, r] of rows.entries()) {
        const result = report.results.find((x) => x.members[0] === r.members[0]);
        expect(result?.path).toBe(join(realpathSync(out), ...(names[i]?.segments ?? [])));
        expect(result?.renamed).toBe(true);
      }
      expect(readdirSync(join(out, source)).sort()).toHaveLength(4);
    });

    it('metadata that lies about the time or holds a malformed key never hides an archive', async () => {
      // Above the pack threshold (4 MiB): archived alone, on the v1 path, with metadata of their own.
      const dir = mkdtempSync(join(tmpdir(), 'lv-cli-meta-'));
      writeTree(dir, {
        'big.log': Buffer.from(logText(60_000, 31)),
        'big2.log': Buffer.from(logText(60_000, 32)),
      });
      await upload(dir, 'cli-meta');
      const [row] = await archivedAll('cli-meta', 2);
      const key = (row as Row).archiveKey;
      const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const modified = new Date(head.Metadata?.['lv-source-modified'] ?? '');
      await replaceMetadata(s3, bucket, key, {
        'lv-source-modified': '1990-01-01',
        'lv-source-key': '%E0%A4%A',
      });
      const range = [
        '--from',
        new Date(modified.getTime() - 1000).toISOString(),
        '--to',
        modified.toISOString(),
      ];

      const out = mkdtempSync(join(tmpdir(), 'lv-cli-1990-'));
      const restored = await asRestoreRole('restore', '--source', 'cli-meta', ...range, '-o', out, '--json');
      const report = JSON.parse(restored.stdout) as { results: { archiveKey: string; status: string }[] };
      expect(report.results.find((r) => r.archiveKey === key)?.status).toBe('restored');
      expect(restored.stderr).toContain(
        `${key}: metadata says modified 1990-01-01, the authenticated time is`,
      );

      const held = JSON.parse(
        (await asRestoreRole('hold', '--source', 'cli-meta', ...range, '--json')).stdout,
      );
      expect(held.archives).toContain(key);
      const kept = await cliFails('release', '--source', 'cli-meta', ...range);
      expect(kept.stderr).toContain('only in part');
      await cli('release', '--source', 'cli-meta');

      const after = (await archivesOf('cli-meta')).find((r) => r.archiveKey === key);
      expect(after).toMatchObject({ policy: 'standard', unreadable: ['lv-source-key'] });
      expect((await asRestoreRole('verify', '--source', 'cli-meta', '--json')).stdout).toMatch(/"failed": 0/);
    });

    it('a source with no archives fails verify, restore, hold and release, and lists empty', async () => {
      for (const args of [
        ['verify', '--source', 'nosuch'],
        ['restore', '--source', 'nosuch', '-o', mkdtempSync(join(tmpdir(), 'lv-cli-none-'))],
        ['hold', '--source', 'nosuch'],
        ['release', '--source', 'nosuch'],
      ]) {
        const err = await cliFails(...args);
        expect(err.code, args.join(' ')).toBe(1);
        expect(err.stderr).toContain('no archives of source nosuch');
      }
      expect(JSON.parse((await asRestoreRole('ls', '--source', 'nosuch', '--json')).stdout)).toEqual([]);
    });

    it('verify says how many it sampled of how many, and its help gives one default', async () => {
      const total = (await archivesOf('cli-meta')).length;
      const { stdout } = await asRestoreRole('verify', '--source', 'cli-meta', '--sample', '50');
      const sampled = Math.round(total / 2);
      expect(stdout).toBe(`${sampled} of ${total} sampled, ${sampled} verified; 0 failed\n`);
      const help = (await asRestoreRole('verify', '--help')).stdout;
      expect(help.match(/\(default:/g)).toHaveLength(1);
    });

    it('missing archives are named, an original key gets its archive keys, and --json without -o is bad usage', async () => {
      const missing = 'archive/cli-test/2001-01-01/nope.log.0123456789abcdef.lv';
      for (const command of ['restore', 'hold', 'release']) {
        const err = await cliFails(command, missing);
        expect(err.code, command).toBe(1);
        expect(err.stderr, command).toContain(`no such archive: ${missing}`);
        expect(err.stderr, command).not.toMatch(/UnknownError|XML parse error/);
      }
      const archives = (await listed('cli-test')).filter((r) => r.originalKey === 'cli-test/plain.log');
      const original = await cliFails('restore', 'cli-test/plain.log');
      expect(original.stderr).toContain(
        `no such archive: cli-test/plain.log; that is an original key, archived as: ${archives.map((r) => r.archiveKey).join(', ')}`,
      );
      const usage = await cliFails('restore', archives[0]?.archiveKey as string, '--json');
      expect(usage.code).toBe(2);
      // No log bytes reach stdout: only the one JSON document every --json failure prints.
      expect(JSON.parse(usage.stdout)).toEqual({ error: expect.stringContaining('-o'), exitCode: 2 });
      for (const command of ['restore', 'hold', 'release'])
        expect((await cli(command, '--help')).stdout).toContain('[archive-key]');
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
