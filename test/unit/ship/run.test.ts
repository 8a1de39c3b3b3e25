import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { ShipLockedError } from '#shared/errors.ts';
import { type BatchHeader, readBatch } from '#shared/segments/batch-format.ts';
import { acquireLock } from '#shared/ship/lock.ts';
import { withRotations } from '#shared/ship/paths.ts';
import { type BatchBody, shipOnce } from '#shared/ship/run.ts';
import { scan } from '#shared/ship/scan.ts';
import { readState } from '#shared/ship/state.ts';
import { fileState } from '../../helpers/files.ts';

const tmp = mkdtempSync(join(tmpdir(), 'logvault-ship-run-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function bytesOf(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(Buffer.from(c));
  return Buffer.concat(parts);
}

/** An ingest bucket in memory: every upload, in order, and what each batch holds. */
class Bucket {
  readonly uploads: { key: string; body: Buffer }[] = [];
  /** Uploads to lose: stored but answered with an error, as when S3's answer is lost. */
  loseAcks = 0;
  /** Uploads to refuse outright. */
  refuse = 0;
  upload = async (key: string, body: BatchBody) => {
    if (this.refuse > 0) {
      this.refuse -= 1;
      throw new Error('connection reset');
    }
    const bytes = await bytesOf(body.open());
    expect(bytes.length).toBe(body.length);
    this.uploads.push({ key, body: bytes });
    if (this.loseAcks > 0) {
      this.loseAcks -= 1;
      throw new Error('answer lost');
    }
  };

  /** Every generation's bytes, each segment placed once however often it was sent. */
  async logs(): Promise<{ text: Record<string, string>; gaps: BatchHeader['gaps'] }> {
    const gens = new Map<string, { path: string; parts: Map<number, Buffer> }>();
    const gaps: BatchHeader['gaps'] = [];
    for (const u of this.uploads) {
      const batch = await readBatch(Readable.from([u.body]));
      gaps.push(...batch.header.gaps);
      for await (const { segment, chunks } of batch.segments()) {
        const g = gens.get(segment.generation) ?? { path: segment.path, parts: new Map() };
        g.parts.set(segment.start, await bytesOf(Readable.from(chunks)));
        gens.set(segment.generation, g);
      }
    }
    const text: Record<string, string> = {};
    for (const id of [...gens.keys()].sort()) {
      const g = gens.get(id) as { path: string; parts: Map<number, Buffer> };
      let at = 0;
      let out = '';
      for (const start of [...g.parts.keys()].sort((a, b) => a - b)) {
        expect(start, `${g.path} ${id}`).toBe(at);
        const part = g.parts.get(start) as Buffer;
        out += part.toString();
        at += part.length;
      }
      text[g.path] = text[g.path] === undefined ? out : `${text[g.path]}|${out}`;
    }
    return { text, gaps };
  }
}

function setup(name: string) {
  const logs = join(tmp, name, 'var log');
  const state = join(tmp, name, 'state');
  mkdirSync(logs, { recursive: true });
  const bucket = new Bucket();
  let clock = Date.parse('2026-11-26T08:00:00Z');
  const run = () => {
    clock += 15 * 60 * 1000;
    return shipOnce(
      {
        stateDir: state,
        source: 'web',
        prefix: 'web',
        host: 'test-host',
        patterns: withRotations(`${logs}/*.log`),
        backfill: false,
        now: () => new Date(clock),
      },
      { upload: bucket.upload },
    );
  };
  return { logs, state, bucket, run };
}

describe('a shipper run', () => {
  it('sends each appended byte once, one object per run, and never touches the log', async () => {
    const { logs, bucket, run } = setup('appends');
    const app = join(logs, 'app.log');
    let written = '';
    for (let i = 0; i < 8; i++) {
      const lines = `run ${i} ${'x'.repeat(100 * i)}\n`.repeat(i + 1);
      appendFileSync(app, lines);
      written += lines;
      const before = fileState(app);
      const result = await run();
      expect(fileState(app)).toEqual(before);
      expect(result.batch?.logBytes).toBe(lines.length);
      expect(bucket.uploads).toHaveLength(i + 1);
    }
    expect((await bucket.logs()).text).toEqual({ [app]: written });
    expect((await run()).batch).toBeUndefined();
  });

  it('sends a batch whose acknowledgement was lost again first, under the same key, and nothing new with it', async () => {
    const { logs, state, bucket, run } = setup('lost-ack');
    const app = join(logs, 'app.log');
    writeFileSync(app, 'first\n');
    bucket.loseAcks = 1;
    await expect(run()).rejects.toThrow('answer lost');
    expect(readState(state, 'web', 'web')?.pending?.key).toBe(bucket.uploads[0]?.key);

    appendFileSync(app, 'second\n');
    const again = await run();
    expect(again.resent).toBe(true);
    expect(bucket.uploads.map((u) => u.key)).toEqual([bucket.uploads[0]?.key, bucket.uploads[0]?.key]);
    expect(bucket.uploads[1]?.body.equals(bucket.uploads[0]?.body as Buffer)).toBe(true);
    expect(readState(state, 'web', 'web')?.pending).toBeNull();

    const next = await run();
    expect(next.batch?.logBytes).toBe('second\n'.length);
    expect((await bucket.logs()).text).toEqual({ [app]: 'first\nsecond\n' });
    const third = await readBatch(Readable.from([bucket.uploads[2]?.body as Buffer]));
    expect(third.header.prev).toBe(bucket.uploads[0]?.key.split('/').pop()?.replace('.lvb', ''));
  });

  it('re-reads a pending batch through renames, and reports a range it can no longer read as unconfirmed', async () => {
    const { logs, bucket, run } = setup('unconfirmed');
    const app = join(logs, 'app.log');
    const other = join(logs, 'other.log');
    writeFileSync(app, 'kept\n');
    writeFileSync(other, 'lost\n');
    bucket.refuse = 1;
    await expect(run()).rejects.toThrow('connection reset');
    renameSync(app, `${app}.1`);
    unlinkSync(other);
    const again = await run();
    expect(again.resent).toBe(true);
    expect(bucket.uploads).toHaveLength(1);
    const { text, gaps } = await bucket.logs();
    expect(text).toEqual({ [app]: 'kept\n' });
    expect(gaps).toEqual([expect.objectContaining({ path: other, start: 0, end: 5, reason: 'unconfirmed' })]);
  });

  it('holds a lock: a second run at once is refused, a lock left by a dead run is taken over', () => {
    const { state } = setup('lock');
    mkdirSync(state, { recursive: true });
    const release = acquireLock(state);
    expect(() => acquireLock(state)).toThrow(ShipLockedError);
    release();
    // A run that died: its pid no longer runs.
    const dead = execFileSync('sh', ['-c', 'echo $$']).toString().trim();
    writeFileSync(join(state, 'lock'), `${dead} 1\n`);
    acquireLock(state)();
  });

  it('recognises a gzip of a rotated log it has sent and sends nothing for it', async () => {
    const { logs, bucket, run } = setup('gzip');
    const app = join(logs, 'app.log');
    writeFileSync(app, 'g1\n');
    await run();
    renameSync(app, `${app}.1`);
    writeFileSync(app, 'h1\n');
    await run();
    writeFileSync(`${app}.1.gz`, gzipSync(readFileSync(`${app}.1`)));
    unlinkSync(`${app}.1`);
    await run();
    expect((await bucket.logs()).text).toEqual({ [app]: 'g1\n|h1\n' });
  });
});

describe('the scan', () => {
  it('expands globs as bash does, rotated copies included, and passes over what is not a readable log', async () => {
    const root = join(tmp, 'scan', 'my logs');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    mkdirSync(join(root, '.hidden'), { recursive: true });
    for (const f of ['x.log', 'x.log.1', 'a/y.log', 'a/b/z.log', '.hidden/h.log', 'notes.txt'])
      writeFileSync(join(root, f), `${f}\n`);
    writeFileSync(join(root, 'a', 'packed.log'), Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 1, 2]));
    execFileSync('mkfifo', [join(root, 'a', 'pipe.log')]);
    const { files, problems } = await scan(withRotations(`${root}/**/*.log`), {
      lengths: [],
      knownGzip: new Set(),
    });
    expect(files.map((f) => f.path.slice(root.length + 1)).sort()).toEqual([
      'a/b/z.log',
      'a/y.log',
      'x.log',
      'x.log.1',
    ]);
    expect(problems).toEqual([
      `not read: ${join(root, 'a', 'packed.log')} is compressed with something other than gzip`,
    ]);
    const x = files.find((f) => f.path.endsWith('/x.log'));
    expect(x?.content).toEqual({
      length: 6,
      lineEnd: 6,
      complete: true,
      heads: { '6': createHash('sha256').update('x.log\n').digest('hex') },
    });
  });
});
