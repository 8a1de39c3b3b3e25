import { execFile, execFileSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeDevState } from '#cli/target.ts';
import type { LocalCloud } from '#local/cloud.ts';
import { parseBatch, reassemble, type StoredBatch, wholeLog } from '../helpers/batches.ts';
import { eventually, freshCloud } from '../helpers/cloud.ts';
import { holdShipperLock } from '../helpers/files.ts';

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

/** Every batch the pipeline has archived for the source, restored through the CLI and parsed. */
async function archivedBatches(source: string, count: number): Promise<StoredBatch[]> {
  const rows = await eventually(async () => {
    const res = await cli('ls', '--source', source, '--json');
    const listed = JSON.parse(res.stdout.toString()) as { archiveKey: string }[];
    return listed.length >= count ? listed : undefined;
  }, `${count} batches of ${source} archived`);
  const out: StoredBatch[] = [];
  for (const { archiveKey } of rows) {
    const restored = await cli('restore', archiveKey);
    expect(restored.code, restored.stderr).toBe(0);
    out.push(await parseBatch(archiveKey, restored.stdout));
  }
  return out.sort((a, b) => (a.header.batch < b.header.batch ? -1 : 1));
}

beforeAll(async () => {
  cloud = await freshCloud();
  // What `logvault dev` leaves for the CLI to find, pointing at this run's local cloud.
  writeDevState(
    {
      kind: 'local',
      stage: cloud.stage,
      region: cloud.region,
      endpoint: cloud.endpoint,
      pid: process.pid,
      outputs: cloud.outputs,
    },
    join(devDir, 'dev.json'),
  );
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

    const batches = await archivedBatches('web', 4);
    const r = reassemble(batches);
    expect(r.repeats).toBe(0);
    expect(wholeLog(r, app)).toBe(appText);
    expect(wholeLog(r, other)).toBe('o1\n');
    expect(batches.every((b) => b.header.source === 'web')).toBe(true);
  }, 300_000);

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
