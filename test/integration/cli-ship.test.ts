import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { MemberItem } from '#shared/archive/member-ledger.ts';
import { union } from '#shared/logs/generations.ts';
import { eventually, freshCloud } from '../helpers/cloud.ts';
import { holdShipperLock } from '../helpers/files.ts';
import { ledgerMembers, ledgerOf } from '../helpers/packs.ts';
import { pointCliAt } from '../helpers/run-cli.ts';

// `logvault ship` as a user runs it (bin/logvault.mjs) against the local cloud, which archives
// each batch it sends; what was sent is read back through `logvault ls` and `logvault restore`.

const bin = join(import.meta.dirname, '..', '..', 'bin', 'logvault.mjs');
const tmp = mkdtempSync(join(tmpdir(), 'lv-cli-ship-'));
const devDir = join(tmp, 'dev');
const xdg = join(tmp, 'xdg-state');
let cloud: LocalCloud;

interface Outcome {
  code: number;
  stdout: Buffer;
  stderr: string;
}

function cli(...args: string[]): Promise<Outcome> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [bin, ...args],
      {
        encoding: 'buffer',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, LOGVAULT_STATE_DIR: devDir, XDG_STATE_HOME: xdg },
      },
      (error, stdout, stderr) =>
        done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr: stderr.toString() }),
    );
  });
}

async function ship(...args: string[]) {
  const res = await cli('ship', ...args, '--json');
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout.toString()) as {
    stateDir: string;
    resent: boolean;
    batch: { key: string; logBytes: number; segments: number } | null;
  };
}

interface LogRow {
  source: string;
  path: string;
  generation: string;
  bytes: number;
  segments: number;
  gaps: { start: number; end: number; why: string }[];
  archives: string[];
  members: string[];
}

/** The source's logs as `logvault ls` lists them, once they hold `bytes` log bytes in all. */
async function archivedLogs(source: string, bytes: number): Promise<LogRow[]> {
  return eventually(async () => {
    const res = await cli('ls', '--source', source, '--json');
    const rows = JSON.parse(res.stdout.toString()) as LogRow[];
    return rows.reduce((n, r) => n + r.bytes, 0) >= bytes ? rows : undefined;
  }, `${bytes} log bytes of ${source} archived`);
}

interface Restored {
  code: number;
  stderr: string;
  report: {
    restored: number;
    failed: number;
    withGaps: number;
    gonePacks: { source: string; archive: string; time: string }[];
    results: {
      log: string;
      generation: string;
      path?: string;
      gaps: { start: number; end: number; why: string }[];
    }[];
  };
}

async function restoreSource(source: string, ...args: string[]): Promise<Restored> {
  const out = mkdtempSync(join(tmp, 'restored-'));
  const res = await cli('restore', '--source', source, '-o', out, '--json', ...args);
  return { code: res.code, stderr: res.stderr, report: JSON.parse(res.stdout.toString()) };
}

beforeAll(async () => {
  cloud = await freshCloud();
  pointCliAt(cloud, devDir);
});

afterAll(async () => {
  await cloud?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

describe('logvault ship', () => {
  it('sends only what is new, one batch per run, across a logrotate rotation, and keeps its state under XDG_STATE_HOME', async () => {
    const dir = join(tmp, 'web logs');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const app = join(dir, 'app.log');
    const other = join(dir, 'sub', 'other.log');
    let appText = 'a1\na2\n';
    writeFileSync(app, appText);
    writeFileSync(other, 'o1\n');

    const first = await ship(dir, '--source', 'web');
    expect(first.batch?.key).toMatch(/^web\/_logvault\/ship\/\d{8}T\d{6}Z-[0-9a-f]{16}\.lvb$/);
    expect(first.batch?.logBytes).toBe(appText.length + 3);
    expect(first.stateDir).toBe(join(xdg, 'logvault', 'ship', 'web'));
    expect(existsSync(join(first.stateDir, 'state.json'))).toBe(true);

    appendFileSync(app, 'a3\n');
    appText += 'a3\n';
    expect((await ship(dir, '--source', 'web')).batch?.logBytes).toBe(3);
    expect((await ship(dir, '--source', 'web')).batch).toBeNull();

    // Rotated by the real logrotate, with lines the last run has not seen.
    appendFileSync(app, 'a4\n');
    appText += 'a4\n';
    const conf = join(tmp, 'logrotate.conf');
    writeFileSync(conf, `"${app}" {\n  rotate 3\n  create\n}\n`);
    execFileSync('/usr/sbin/logrotate', ['-f', '-s', join(tmp, 'logrotate.status'), conf]);
    appendFileSync(app, 'b1\n');
    appText += 'b1\n';
    expect((await ship(dir, '--source', 'web')).batch?.logBytes).toBe(6);

    const human = await cli('ship', dir, '--source', 'web');
    expect(human.code).toBe(0);
    expect(human.stdout.toString()).toMatch(/^(nothing new to send|sent s3:\/\/\S+\/web\/_logvault\/ship\/)/);

    // One row per generation: the rotated file and the new one are two generations of app.log.
    const rows = await archivedLogs('web', appText.length + 3);
    const appRows = rows.filter((r) => r.path === app);
    expect(appRows.map((r) => r.bytes)).toEqual([12, 3]);
    expect(rows.find((r) => r.path === other)).toMatchObject({ bytes: 3, segments: 1, gaps: [] });
    expect(rows.every((r) => r.gaps.length === 0 && r.source === 'web')).toBe(true);

    // Restored whole: each generation one file, byte-identical, named by its generation id.
    const { code, report, stderr } = await restoreSource('web');
    expect(code, stderr).toBe(0);
    expect(report).toMatchObject({ restored: 3, failed: 0, withGaps: 0 });
    const fileOf = (path: string, generation: string) =>
      report.results.find((r) => r.log === path && r.generation === generation)?.path as string;
    const [older, newer] = appRows as [LogRow, LogRow];
    expect(fileOf(app, older.generation).endsWith(`/web${app}.${older.generation}`)).toBe(true);
    expect(readFileSync(fileOf(app, older.generation), 'utf8')).toBe('a1\na2\na3\na4\n');
    expect(readFileSync(fileOf(app, newer.generation), 'utf8')).toBe('b1\n');
    const otherFile = fileOf(other, (rows.find((r) => r.path === other) as LogRow).generation);
    expect(otherFile.endsWith(`/web${other}`)).toBe(true);
    expect(readFileSync(otherFile, 'utf8')).toBe('o1\n');
    // Mode and modification time as the shipper saw them.
    const host = statSync(other);
    const restored = statSync(otherFile);
    expect(restored.mode & 0o777).toBe(host.mode & 0o777);
    expect(Math.floor(restored.mtimeMs)).toBe(Math.floor(host.mtimeMs));
  }, 300_000);

  it('a pack that is gone leaves gaps: restore names their byte ranges and the pack, and exits 1; --allow-gaps writes holes as zeros', async () => {
    const rows = await archivedLogs('web', 0);
    const app = rows.filter((r) => r.path.endsWith('/app.log'))[0] as LogRow;
    const items = (await ledgerMembers(ledgerOf(cloud))).filter(
      (m) => m.kind === 'segment' && m.generation === app.generation,
    ) as Extract<MemberItem, { kind: 'segment' }>[];
    const third = items.find((m) => m.start === 6) as Extract<MemberItem, { kind: 'segment' }>;
    const lost = items.filter((m) => m.archive === third.archive).sort((a, b) => a.start - b.start);
    const expected = union(lost);
    const s3 = new S3Client({ forcePathStyle: true });
    await s3.send(new DeleteObjectCommand({ Bucket: cloud.outputs.ArchiveBucketName, Key: third.archive }));

    const refused = await restoreSource('web', '--path', app.path);
    expect(refused.code).toBe(1);
    const result = refused.report.results.find((r) => r.generation === app.generation);
    expect(result).toMatchObject({ status: 'gaps' });
    expect(result?.path).toBeUndefined();
    expect(result?.gaps.map(({ start, end }) => ({ start, end }))).toEqual(expected);
    // The ledger records the pack, not each log in it: the bytes it held are in no archive, and
    // the pack the ledger names is reported gone.
    for (const g of expected)
      expect(refused.stderr).toContain(`gap bytes [${g.start}, ${g.end}): in no archive`);
    const shipped = lost.map((m) => m.time).sort()[0];
    expect(refused.report.gonePacks).toEqual([{ source: 'web', archive: third.archive, time: shipped }]);
    expect(refused.stderr).toContain(`web: pack ${third.archive} is gone`);

    const allowed = await restoreSource('web', '--path', app.path, '--allow-gaps');
    expect(allowed.code, allowed.stderr).toBe(0);
    const written = allowed.report.results.find((r) => r.generation === app.generation);
    const bytes = readFileSync(written?.path as string);
    const whole = Buffer.from('a1\na2\na3\na4\n');
    expect(bytes.length).toBe(whole.length);
    for (const g of expected) whole.fill(0, g.start, g.end);
    expect(bytes.equals(whole)).toBe(true);
    expect(allowed.stderr).toContain('written with holes as zeros');
  }, 120_000);

  it('--wait returns once the archive holds every member it sent, and fails, saying so, when it does not in time', async () => {
    const dir = mkdtempSync(join(tmp, 'waiter-'));
    writeFileSync(join(dir, 'a.log'), 'w1\nw2\n');
    writeFileSync(join(dir, 'b.log'), 'w3\n');
    // No time at all: checked once, right after the upload, before any archive could hold it.
    const early = await cli('ship', dir, '--source', 'waiter', '--wait', '0', '--json');
    expect(early.code).toBe(1);
    const report = JSON.parse(early.stdout.toString());
    expect(report.batch.members).toHaveLength(2);
    expect(report.archived).toEqual({ total: 2, pending: report.batch.members, archives: [] });
    expect(early.stderr).toContain(`2 of 2 member(s) of ${report.batch.key} not archived after 0 s`);

    appendFileSync(join(dir, 'a.log'), 'w4\n');
    const waited = await cli('ship', dir, '--source', 'waiter', '--wait', '120');
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout.toString()).toMatch(
      /\narchived: all 1 member\(s\) of the batch, in 1 archive\(s\)\n$/,
    );
    // What --wait saw archived, logvault ls lists: the first batch's members too, archived meanwhile.
    const rows = await archivedLogs('waiter', 12);
    expect(rows.map((r) => r.bytes).sort()).toEqual([3, 9]);

    const bad = await cli('ship', dir, '--source', 'waiter', '--wait', 'soon');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--wait "soon": must be a whole number of at least 0');
  }, 180_000);

  it('keeps its state where --state says, and refuses a state that belongs to another source', async () => {
    const dir = mkdtempSync(join(tmp, 'api-'));
    writeFileSync(join(dir, 'api.log'), 'x\n');
    const state = join(tmp, 'my-state');
    expect((await ship(dir, '--source', 'api', '--state', state)).stateDir).toBe(state);
    expect(JSON.parse(readFileSync(join(state, 'state.json'), 'utf8'))).toMatchObject({
      v: 1,
      source: 'api',
    });

    const other = await cli('ship', dir, '--source', 'db', '--state', state);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('belongs to source "api"');
  });

  it('exits 75 while another run holds the lock', async () => {
    const dir = mkdtempSync(join(tmp, 'locked-'));
    writeFileSync(join(dir, 'a.log'), 'x\n');
    const state = join(tmp, 'locked-state');
    holdShipperLock(state);
    const res = await cli('ship', dir, '--source', 'locked', '--state', state);
    expect(res.code).toBe(75);
    expect(res.stderr).toContain('another run');
  });

  it('refuses a bad source name or a path that is not there, with exit code 2', async () => {
    const bad = await cli('ship', tmp, '--source', 'no/slashes');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(
      `--source "no/slashes": may contain only letters, digits, '.', '_' and '-' (not "/")`,
    );
    const missing = await cli('ship', join(tmp, 'nope.log'), '--source', 'web');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(`cannot ship: ${join(tmp, 'nope.log')} does not exist`);
  });
});
