import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KMS } from '@aws-sdk/client-kms';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import { logText } from '#local/sample-logs.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { rawLedgerItems } from '#shared/archive/member-ledger.ts';
import {
  decodeIndex,
  decodeTrailer,
  encodeIndex,
  encodeTrailer,
  TRAILER_BYTES,
} from '#shared/archive/pack-format.ts';
import { listKeys } from '#shared/clients/s3-list.ts';
import { ledgerMembers as ledgerMembersOf } from '#shared/logs/gather.ts';
import { restoreLogs } from '#shared/logs/restore-logs.ts';
import { freshCloud } from '../helpers/cloud.ts';
import { archiveJobEvent, batchObject, generationAt, ledgerOf, packKeys } from '../helpers/packs.ts';
import { type CliRun, cliBin, jsonOf, pointCliAt, runCli } from '../helpers/run-cli.ts';

// Logs shipped as batch objects (built with batch-format.ts, as a shipper does), archived into
// packs by the archive function, and read back through the CLI as a user would.
let cloud: LocalCloud;
let s3: S3Client;
let ingest: string;
let archive: string;
let archiveFn: LocalFunction;
const tmp = mkdtempSync(join(tmpdir(), 'lv-logs-'));
const devDir = join(tmp, 'dev');

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
  s3 = new S3Client({ forcePathStyle: true });
  ingest = cloud.outputs.IngestBucketName as string;
  archive = cloud.outputs.ArchiveBucketName as string;
  archiveFn = cloud.functions.functions.find((f) => f.logicalId === 'ArchiveLambdaFunction') as LocalFunction;
  pointCliAt(cloud, devDir);
});
afterAll(async () => {
  await cloud?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const cli = (...args: string[]): Promise<CliRun> => runCli(args, { env: { LOGVAULT_STATE_DIR: devDir } });

/** Uploads objects and has the archive function archive them in one invocation (one pack per policy). */
async function archiveNow(objects: Record<string, Buffer>): Promise<string[]> {
  const before = new Set(await packKeys(s3, archive));
  for (const [key, body] of Object.entries(objects))
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: body }));
  const res = (await archiveFn.invoke(archiveJobEvent(ingest, Object.keys(objects)))) as {
    batchItemFailures: unknown[];
  };
  expect(res.batchItemFailures).toEqual([]);
  return (await packKeys(s3, archive)).filter((k) => !before.has(k));
}

/** Archives one log a shipper sent whole in one run at `at`, packed; answers the pack's key. */
async function packOneLog(source: string, at: Date, path: string, bytes: Buffer): Promise<string> {
  const batch = batchObject({
    source,
    createdAt: at,
    segments: [{ path, generation: generationAt(at), start: 0, bytes }],
  });
  const [pack] = await archiveNow({ [batch.key]: batch.body });
  return pack as string;
}

interface Result {
  status: string;
  log: string;
  generation: string;
  path?: string;
  archives: string[];
  gaps: { start: number; end: number; why: string }[];
  error?: string;
}
interface Report {
  restored: number;
  failed: number;
  withGaps: number;
  missingBatches: { batch: string; namedBy: string[] }[];
  results: Result[];
}

async function restore(...args: string[]): Promise<{ run: CliRun; report: Report; out: string }> {
  const out = mkdtempSync(join(tmp, 'out-'));
  const run = await cli('restore', ...args, '-o', out, '--json');
  return { run, report: jsonOf(run) as Report, out };
}

const text = (lines: number, seed: number) => Buffer.from(logText(lines, seed));
const bytesOf = async (key: string) => {
  const res = await s3.send(new GetObjectCommand({ Bucket: archive, Key: key }));
  return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
};
/** Every regular file under a directory, relative to it. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

describe('a growing, rotating log shipped in three runs and packed', () => {
  const t = [0, 1, 2].map((i) => new Date(Date.UTC(2026, 10, 26, 8, 5 * i)));
  const [t0, t1, t2] = t as [Date, Date, Date];
  const path = '/var/log/app.log';
  const genA = generationAt(t0, 'aaaaaaaa');
  const genB = generationAt(t1, 'bbbbbbbb');
  const a = text(40, 1);
  const b = text(25, 2);
  // Run 1: A's first part. Run 2: the rest of A (rotated away), and B's start. Run 3: more of B.
  const run1 = batchObject({
    source: 'web',
    createdAt: t0,
    segments: [{ path, generation: genA, start: 0, bytes: a.subarray(0, 1000) }],
  });
  const run2 = batchObject({
    source: 'web',
    createdAt: t1,
    prev: run1.header.batch,
    segments: [
      { path, generation: genA, start: 1000, bytes: a.subarray(1000) },
      { path, generation: genB, start: 0, bytes: b.subarray(0, 700) },
    ],
  });
  const run3 = batchObject({
    source: 'web',
    createdAt: t2,
    prev: run2.header.batch,
    segments: [{ path, generation: genB, start: 700, bytes: b.subarray(700) }],
  });
  const plain = text(12, 3);
  let packs: string[] = [];

  beforeAll(async () => {
    packs = [
      ...(await archiveNow({ [run1.key]: run1.body, 'web/plain.log': plain })),
      ...(await archiveNow({ [run2.key]: run2.body })),
      ...(await archiveNow({ [run3.key]: run3.body })),
    ];
    expect(packs).toHaveLength(3);
  });

  it('ls shows one row per generation, with its archives and members', async () => {
    const run = await cli('ls', '--source', 'web', '--json');
    expect(run.code, run.stderr).toBe(0);
    const rows = jsonOf(run) as {
      path: string;
      generation: string;
      kind: string;
      bytes: number;
      segments: number;
      firstTime: string;
      lastTime: string;
      gaps: unknown[];
      archives: string[];
      members: string[];
      originalKey?: string;
    }[];
    expect(rows.map((r) => [r.path, r.generation, r.kind, r.bytes, r.segments])).toEqual([
      [path, genA, 'shipped', a.length, 2],
      [path, genB, 'shipped', b.length, 2],
      ['plain.log', expect.stringMatching(/^\d{8}T\d{6}Z$/), 'object', plain.length, 1],
    ]);
    expect(rows[0]).toMatchObject({ firstTime: t0.toISOString(), lastTime: t1.toISOString(), gaps: [] });
    expect(rows[0]?.archives).toEqual([packs[0], packs[1]].sort());
    expect(rows[0]?.members).toHaveLength(2);
    expect(rows[2]).toMatchObject({ originalKey: 'web/plain.log', archiveKey: packs[0] });
    const human = await cli('ls', '--source', 'web');
    expect(human.stdout).toContain(genA);
    expect(human.stderr).toBe('3 log(s)\n');
    const archives = jsonOf(await cli('ls', '--archives', '--json')) as {
      archiveKey: string;
      layout: string;
    }[];
    expect(
      archives
        .filter((r) => r.layout === 'pack1')
        .map((r) => r.archiveKey)
        .sort(),
    ).toEqual([...packs].sort());
  });

  it('restore gives back each generation byte-identical, one file each, named by generation', async () => {
    const { run, report, out } = await restore('--source', 'web');
    expect(run.code, run.stderr).toBe(0);
    expect(report).toMatchObject({ restored: 3, failed: 0, withGaps: 0, missingBatches: [] });
    expect(filesUnder(out)).toEqual([
      `web/plain.log`,
      `web/var/log/app.log.${genA}`,
      `web/var/log/app.log.${genB}`,
    ]);
    expect(readFileSync(join(out, `web/var/log/app.log.${genA}`)).equals(a)).toBe(true);
    expect(readFileSync(join(out, `web/var/log/app.log.${genB}`)).equals(b)).toBe(true);
    expect(readFileSync(join(out, 'web/plain.log')).equals(plain)).toBe(true);
    expect(statSync(join(out, `web/var/log/app.log.${genA}`)).mode & 0o777).toBe(0o640);
  });

  it('--path and --from select generations, each taken whole', async () => {
    const { run, out } = await restore('--source', 'web', '--path', '/var/log/*', '--from', t2.toISOString());
    expect(run.code, run.stderr).toBe(0);
    // B was last shipped in the range; it comes back whole, its first part included. A did not.
    expect(filesUnder(out)).toEqual([`web/var/log/app.log`]);
    expect(readFileSync(join(out, 'web/var/log/app.log')).equals(b)).toBe(true);
  });

  it('restore of a pack key restores the members it holds, naming bytes held elsewhere', async () => {
    const { run, report, out } = await restore(packs[1] as string);
    expect(run.code, run.stderr).toBe(0);
    const [fromA, fromB] = report.results;
    expect(fromA?.gaps).toEqual([{ start: 0, end: 1000, why: 'not in this archive' }]);
    // The pack knows B only as far as its own members reach.
    expect(fromB?.gaps).toEqual([]);
    expect(readFileSync(fromB?.path as string).equals(b.subarray(0, 700))).toBe(true);
    const restoredA = readFileSync(fromA?.path as string);
    expect(restoredA.subarray(1000).equals(a.subarray(1000))).toBe(true);
    expect(filesUnder(out)).toHaveLength(2);
  });

  it('hold --source holds every pack holding a member of the source; release takes a pack by key only', async () => {
    const held = await cli('hold', '--source', 'web', '--json');
    expect(held.code, held.stderr).toBe(0);
    expect((jsonOf(held) as { archives: string[] }).archives.sort()).toEqual([...packs].sort());
    const bySource = await cli('release', '--source', 'web');
    expect(bySource.code).toBe(1);
    for (const key of packs) expect(bySource.stderr).toContain(`not released: ${key}, a pack`);
    for (const key of packs) expect((await cli('release', key)).code).toBe(0);
    const rows = jsonOf(await cli('ls', '--source', 'web', '--json')) as {
      members: string[];
      archives: string[];
    }[];
    const member = rows[0]?.members[0] as string;
    const byMember = await cli('hold', member, '--json');
    expect(byMember.code, byMember.stderr).toBe(0);
    expect((jsonOf(byMember) as { archives: string[] }).archives).toHaveLength(1);
    expect(rows[0]?.archives).toContain((jsonOf(byMember) as { archives: string[] }).archives[0]);
    await cli('release', (jsonOf(byMember) as { archives: string[] }).archives[0] as string);
  });

  it('cat streams each generation in order; grep prints matching lines prefixed with source and path', async () => {
    const cat = await cli('cat', '--source', 'web', '--path', path);
    expect(cat.code, cat.stderr).toBe(0);
    expect(cat.stdout).toBe(Buffer.concat([a, b]).toString());
    const line = b.toString().split('\n')[3] as string;
    const found = await cli('grep', '--source', 'web', line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toBe(`web:${path}: ${line}\n`);
  });

  it('cost counts the packs and members per policy and class, priced from the repository table', async () => {
    const run = await cli('cost', '--json');
    expect(run.code, run.stderr).toBe(0);
    const report = jsonOf(run) as {
      region: string;
      prices: { retrieved: string };
      rows: { policy: string; storageClass: string; packs: number; members: number; priced: boolean }[];
    };
    expect(report.region).toBe(cloud.region);
    const standard = report.rows.find((r) => r.policy === 'standard' && r.storageClass === 'STANDARD');
    // Three packs of web so far: run 1 with plain.log (2 members), runs 2 and 3 (2 and 1).
    expect(standard).toMatchObject({ packs: 3, members: 5, priced: true });
    expect(report.prices.retrieved).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('verify proves every pack', async () => {
    const run = await cli('verify', '--json');
    expect(run.code, run.stderr).toBe(0);
    expect(jsonOf(run)).toMatchObject({ failed: 0 });
  });
});

describe('what a restore cannot give back whole', () => {
  it('a batch a later batch names but no archive holds is named, and fails the restore unless gaps are allowed', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 10, 26, 9, m));
    const first = batchObject({
      source: 'db',
      createdAt: at(0),
      segments: [{ path: '/var/log/db.log', generation: generationAt(at(0)), start: 0, bytes: text(5, 4) }],
    });
    const lost = batchObject({
      source: 'db',
      createdAt: at(5),
      prev: first.header.batch,
      segments: [{ path: '/var/log/slow.log', generation: generationAt(at(5)), start: 0, bytes: text(5, 5) }],
    });
    const third = batchObject({
      source: 'db',
      createdAt: at(10),
      prev: lost.header.batch,
      segments: [
        {
          path: '/var/log/db.log',
          generation: generationAt(at(0)),
          start: text(5, 4).length,
          bytes: text(5, 9),
        },
      ],
    });
    await archiveNow({ [first.key]: first.body, [third.key]: third.body });
    const { run, report } = await restore('--source', 'db');
    expect(run.code).toBe(1);
    expect(report.missingBatches).toEqual([
      expect.objectContaining({ batch: lost.header.batch, namedBy: [third.header.batch] }),
    ]);
    expect(run.stderr).toContain(`batch ${lost.header.batch} is in no archive`);
    expect((await restore('--source', 'db', '--allow-gaps')).run.code).toBe(0);
  });

  it('bytes the host lost are a gap with their range: nothing written without --allow-gaps, zeros with it', async () => {
    const at = new Date(Date.UTC(2026, 10, 26, 10, 0));
    const generation = generationAt(at);
    const [head, tail] = [text(3, 6), text(3, 7)];
    const batch = batchObject({
      source: 'lossy',
      createdAt: at,
      segments: [
        { path: '/var/log/l.log', generation, start: 0, bytes: head },
        { path: '/var/log/l.log', generation, start: head.length + 100, bytes: tail },
      ],
      gaps: [
        {
          path: '/var/log/l.log',
          generation,
          start: head.length,
          end: head.length + 100,
          reason: 'truncated',
        },
      ],
    });
    await archiveNow({ [batch.key]: batch.body });
    const strict = await restore('--source', 'lossy');
    expect(strict.run.code).toBe(1);
    expect(strict.report.results[0]).toMatchObject({
      status: 'gaps',
      gaps: [{ start: head.length, end: head.length + 100, why: 'lost on the host (truncated)' }],
    });
    expect(strict.run.stderr).toContain(`gap bytes [${head.length}, ${head.length + 100}): lost on the host`);
    expect(filesUnder(strict.out)).toEqual([]);

    const cat = await cli('cat', '--source', 'lossy');
    expect(cat.code).toBe(1);
    expect(cat.stdout).toBe(Buffer.concat([head, tail]).toString());
    expect(cat.stderr).toContain(`gap bytes [${head.length}, ${head.length + 100}): lost on the host`);

    const allowed = await restore('--source', 'lossy', '--allow-gaps');
    expect(allowed.run.code, allowed.run.stderr).toBe(0);
    const file = readFileSync(allowed.report.results[0]?.path as string);
    expect(file.equals(Buffer.concat([head, Buffer.alloc(100), tail]))).toBe(true);
  });
});

describe('a tampered pack', () => {
  const at = new Date(Date.UTC(2026, 10, 26, 11, 0));
  const good = text(30, 8);

  const packed = (source: string) => packOneLog(source, at, '/var/log/t.log', good);

  it('an index rewritten to say other things (here: a mode) is refused, and nothing is written', async () => {
    const key = await packed('forged');
    const body = await bytesOf(key);
    const { indexOffset, indexLength } = decodeTrailer(key, body.subarray(-TRAILER_BYTES), body.length);
    const index = decodeIndex(key, body.subarray(indexOffset, indexOffset + indexLength));
    const members = index.members.map((m) => (m.kind === 'segment' ? { ...m, mode: 0o4777 } : m));
    const region = encodeIndex(index.header, Buffer.from(JSON.stringify(members)));
    const forged = Buffer.concat([
      body.subarray(0, indexOffset),
      region,
      encodeTrailer(indexOffset, region.length),
    ]);
    await s3.send(new PutObjectCommand({ Bucket: archive, Key: key, Body: forged }));

    for (const args of [['--source', 'forged'], [key]]) {
      const { run, report, out } = await restore(...args);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toContain(key);
      expect(report.failed).toBe(1);
      expect(filesUnder(out)).toEqual([]);
    }
  });

  it('a flipped byte in a group is refused, and nothing is written', async () => {
    const key = await packed('flipped');
    const body = await bytesOf(key);
    body.writeUInt8(body.readUInt8(200) ^ 0x01, 200);
    await s3.send(new PutObjectCommand({ Bucket: archive, Key: key, Body: body }));
    const { run, report, out } = await restore('--source', 'flipped');
    expect(run.code).toBe(1);
    expect(report.results[0]?.error).toContain(key);
    expect(filesUnder(out)).toEqual([]);
    const verify = await cli('verify', '--json');
    expect(verify.code).toBe(1);
    expect(JSON.stringify(jsonOf(verify))).toContain(key);
  });
});

describe('a tampered v1 archive of a whole object', () => {
  it('cat sends none of its bytes: its digest is proven only at its end', async () => {
    // Over the pack threshold and incompressible, so it is a v1 archive of several 1 MiB frames:
    // every frame but the last decrypts and decompresses cleanly.
    const body = randomBytes(6 * 1024 * 1024);
    expect(await archiveNow({ 'spooled/big.bin': body })).toEqual([]);
    const [key] = await listKeys(s3, archive, 'archive/spooled/');
    const stored = await s3.send(new GetObjectCommand({ Bucket: archive, Key: key }));
    const bytes = Buffer.from((await stored.Body?.transformToByteArray()) ?? []);
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 512) ^ 0x01, bytes.length - 512);
    await s3.send(
      new PutObjectCommand({ Bucket: archive, Key: key, Body: bytes, Metadata: stored.Metadata }),
    );

    const cat = await cli('cat', '--source', 'spooled');
    expect(cat.code).toBe(1);
    expect(cat.stderr).toContain(key as string);
    expect(cat.stdout).toHaveLength(0);
  });
});

describe('reading one member of a pack', () => {
  it("fetches the index and that member's group only, not the pack", async () => {
    const at = new Date(Date.UTC(2026, 10, 26, 12, 0));
    const big = randomBytes(2 * 1024 * 1024);
    const small = text(20, 10);
    const batch = batchObject({
      source: 'reads',
      createdAt: at,
      segments: [
        { path: '/var/log/big.bin', generation: generationAt(at), start: 0, bytes: big },
        { path: '/var/log/small.log', generation: generationAt(at, '11111111'), start: 0, bytes: small },
      ],
    });
    const [pack] = await archiveNow({ [batch.key]: batch.body });
    const kms = new KMS({
      endpoint: cloud.endpoint,
      region: cloud.region,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const deps = {
      s3,
      keyring: archiveKeyring(cloud.outputs.ArchiveKeyArn as string, kms),
      bucket: archive,
      ingestBucket: ingest,
      ledger: ledgerOf(cloud),
    };
    const fetched = new Map<string, number>();
    const out = mkdtempSync(join(tmp, 'one-'));
    const report = await restoreLogs(deps, 'reads', out, {
      path: '/var/log/small.log',
      allowGaps: false,
      onArchive: (key, bytes) => fetched.set(key, bytes),
    });
    expect(readFileSync(report.logs[0]?.file as string).equals(small)).toBe(true);
    const packSize = (await bytesOf(pack as string)).length;
    expect(packSize).toBeGreaterThan(big.length);
    expect(fetched.get(pack as string)).toBeGreaterThan(0);
    expect(fetched.get(pack as string)).toBeLessThan(64 * 1024);
  });
});

describe('cat into a closed pipe', () => {
  it('ends quietly with the SIGPIPE status, not a stack trace', async () => {
    await packOneLog('piped', new Date(Date.UTC(2026, 10, 26, 12, 30)), '/var/log/p.log', text(40_000, 12));
    const line = `"${process.execPath}" "${cliBin}" cat --source piped | head -c 10 >/dev/null; echo "status=\${PIPESTATUS[0]}" >&2`;
    const { stderr } = await promisify(execFile)('bash', ['-c', line], {
      env: { ...process.env, LOGVAULT_STATE_DIR: devDir },
    });
    expect(stderr).toContain('status=141');
    expect(stderr).not.toContain('EPIPE');
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('the ledger and the packs', () => {
  it('verify names a member a pack holds that the ledger has lost', async () => {
    const pack = await packOneLog(
      'recon',
      new Date(Date.UTC(2026, 10, 26, 13, 0)),
      '/var/log/r.log',
      text(10, 11),
    );
    const ledger = ledgerOf(cloud);
    const [item] = await ledgerMembersOf(ledger, 'recon');
    // Everything the ledger says of the pack goes: the log's claim, and the pack's entry.
    const named: unknown[] = [];
    for await (const raw of rawLedgerItems(ledger)) if (raw.archive === pack) named.push(raw.id);
    expect(named.length).toBeGreaterThanOrEqual(2);
    for (const id of named)
      await ledger.ddb.send(new DeleteCommand({ TableName: ledger.table, Key: { id } }));

    const run = await cli('verify', '--json');
    expect(run.code).toBe(1);
    const report = jsonOf(run) as {
      ledgerMismatches: { archiveKey: string; member: string; problem: string }[];
    };
    expect(report.ledgerMismatches).toContainEqual({
      archiveKey: pack,
      member: item?.id,
      problem: 'in the pack, not in the ledger',
    });
  });
});
