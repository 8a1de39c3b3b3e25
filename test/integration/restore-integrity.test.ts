import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CopyObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { logText } from '#local/sample-logs.ts';
import { thaw } from '#shared/archive/cold.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import type { ReadDeps } from '#shared/archive/open-archive.ts';
import { restoreArchives, restoreToDirectory, verifyArchive } from '#shared/archive/restore.ts';
import { restoreNames } from '#shared/archive/restore-names.ts';
import { createKms, createS3 } from '#shared/clients/aws.ts';
import { asPrincipal } from '#shared/clients/call-recorder.ts';
import { ColdObjectError, IntegrityError, UnsafeOutputError } from '#shared/errors.ts';
import { archiveNow, replaceMetadata } from '../helpers/archive.ts';
import { freshCloud } from '../helpers/cloud.ts';
import { forgeArchive } from '../helpers/forge-archive.ts';

let cloud: LocalCloud;
let s3: S3Client;
let deps: ReadDeps;
const keys: Record<string, string> = {};

const archive = (key: string, body: string) => archiveNow(cloud, s3, key, body);

async function bytesOf(key: string): Promise<Buffer> {
  const res = await s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
  return Buffer.from((await res.Body?.transformToByteArray()) ?? []);
}

async function overwrite(key: string, body: Buffer): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: body }));
}

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
  s3 = new S3Client({ forcePathStyle: true });
  // What operators read with: its calls, made as ArchiveRestoreRole, are recorded for the IAM check.
  deps = {
    s3: createS3(),
    keyring: archiveKeyring(cloud.outputs.ArchiveKeyArn as string, createKms()),
    bucket: cloud.outputs.ArchiveBucketName as string,
    ingestBucket: cloud.outputs.IngestBucketName as string,
  };
  keys.flipped = await archive('tamper/flipped.log', logText(5000, 1));
  keys.swapped = await archive('tamper/swapped.log', logText(5000, 2));
  keys.donor = await archive('tamper/donor.log', logText(5000, 3));
  keys.truncated = await archive('tamper/truncated.log', logText(5000, 4));
  keys.cold = await archive('cold/old.log', logText(5000, 5));
});
afterAll(() => cloud?.stop());

async function expectRefused(archiveKey: string, message: RegExp) {
  const out = mkdtempSync(join(tmpdir(), 'lv-tamper-'));
  const error = await restoreToDirectory(deps, archiveKey, out).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(IntegrityError);
  expect((error as Error).message).toContain(archiveKey);
  expect((error as Error).message).toMatch(message);
  expect(readdirSync(out)).toEqual([]);
  await expect(verifyArchive(deps, archiveKey)).rejects.toThrow(IntegrityError);
}

describe('restore refuses tampered archives and writes nothing', () => {
  it('restores an untouched archive', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lv-ok-'));
    const { decoded } = await restoreToDirectory(deps, keys.donor as string, out);
    expect(decoded.originalKey).toBe('tamper/donor.log');
  });

  it('refuses a flipped byte', async () => {
    const bytes = await bytesOf(keys.flipped as string);
    const middle = Math.floor(bytes.length / 2);
    bytes.writeUInt8(bytes.readUInt8(middle) ^ 0x01, middle);
    await overwrite(keys.flipped as string, bytes);
    await expectRefused(keys.flipped as string, /cannot be decoded/);
  });

  it('refuses another archive swapped in under this key', async () => {
    await overwrite(keys.swapped as string, await bytesOf(keys.donor as string));
    await expectRefused(keys.swapped as string, /names another object/);
  });

  it('refuses a truncated archive', async () => {
    const bytes = await bytesOf(keys.truncated as string);
    await overwrite(keys.truncated as string, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    await expectRefused(keys.truncated as string, /cannot be decoded/);
  });
});

describe('archives in cold storage', () => {
  it('reports a pending restore, and with wait starts it and then restores', async () => {
    const key = keys.cold as string;
    const CopySource = `${deps.bucket}/${encodeURIComponent(key)}`;
    await s3.send(
      new CopyObjectCommand({
        Bucket: deps.bucket,
        Key: key,
        CopySource,
        StorageClass: 'GLACIER',
        MetadataDirective: 'COPY',
      }),
    );
    const out = mkdtempSync(join(tmpdir(), 'lv-cold-'));
    const asOperator = <T>(fn: () => Promise<T>) => asPrincipal('ArchiveRestoreRole', fn);
    await expect(asOperator(() => restoreToDirectory(deps, key, out))).rejects.toBeInstanceOf(
      ColdObjectError,
    );
    await expect(asOperator(() => thaw(deps, key, { wait: false, tier: 'Bulk' }))).rejects.toMatchObject({
      restoreState: 'not-started',
    });

    await asOperator(() => thaw(deps, key, { wait: true, tier: 'Bulk', pollMs: 100 }));
    const { decoded } = await asOperator(() => restoreToDirectory(deps, key, out));
    expect(decoded.originalKey).toBe('cold/old.log');
  });
});

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('archives whose authenticated context does not hold', () => {
  it('refuses content that differs from the digest its context authenticates, and writes nothing', async () => {
    const claimed = Buffer.from(logText(100, 6));
    const key = await forgeArchive(s3, deps, {
      bucket: deps.ingestBucket,
      key: 'forged/digest.log',
      content: Buffer.from(logText(100, 7)),
      sha256: sha(claimed),
      modified: new Date(),
    });
    await expectRefused(key, /SHA-256 mismatch/);
  });

  it('refuses an archive sealed for another bucket', async () => {
    const key = await forgeArchive(s3, deps, {
      bucket: 'someone-elses-bucket',
      key: 'forged/bucket.log',
      content: Buffer.from('x\n'),
      modified: new Date(),
    });
    await expectRefused(key, /names bucket someone-elses-bucket, not this stack's ingest bucket/);
  });

  it('refuses an archive copied under another day or another name', async () => {
    const source = keys.donor as string;
    const parsed = parseArchiveKey(source);
    for (const moved of [
      source.replace(`/${parsed?.day}/`, '/2001-01-01/'),
      source.replace('donor.log.', 'renamed.log.'),
    ]) {
      await s3.send(
        new CopyObjectCommand({
          Bucket: deps.bucket,
          Key: moved,
          CopySource: `${deps.bucket}/${encodeURIComponent(source)}`,
        }),
      );
      await expectRefused(moved, /differs from the authenticated modification time|names another object/);
    }
  });
});

describe('restore writes only inside its output directory', () => {
  it('refuses a link inside the directory, names it, and leaves the archive and the link target untouched', async () => {
    const out = mkdtempSync(join(tmpdir(), 'lv-link-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'lv-elsewhere-'));
    symlinkSync(elsewhere, join(out, 'tamper'));
    const [result] = await restoreArchives(deps, [keys.donor as string], out);
    expect(result?.status).toBe('failed');
    const error = result?.status === 'failed' ? result.error : undefined;
    expect(error).toBeInstanceOf(UnsafeOutputError);
    expect(error?.message).toContain(`${join(out, 'tamper')}: a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual([]);
    expect(readdirSync(out)).toEqual(['tamper']);
    await verifyArchive(deps, keys.donor as string);
  });

  it('fails at once, naming the path, when the directory cannot be made', async () => {
    await expect(restoreArchives(deps, [keys.donor as string], '/proc/logvault/out')).rejects.toThrow(
      /refused to write \/proc\/logvault: cannot create the directory/,
    );
  });

  it('restores keys that collapse to one path, and two versions of one key, under distinct predictable names', async () => {
    const bodies: Record<string, string> = {
      'collide//a.log': logText(10, 20),
      'collide/./a.log': logText(10, 21),
      'collide/a.log': logText(10, 22),
    };
    const archived: [string, string][] = [];
    for (const [key, body] of Object.entries(bodies)) archived.push([await archive(key, body), body]);
    archived.push([await archive('collide/twice.log', 'first\n'), 'first\n']);
    archived.push([await archive('collide/twice.log', 'second\n'), 'second\n']);
    const out = mkdtempSync(join(tmpdir(), 'lv-collide-'));
    const results = await restoreArchives(
      deps,
      archived.map(([k]) => k),
      out,
    );
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('restored'));

    // What `ls` shows (the original key, its modification time and the archive key) names each file.
    const listed = await Promise.all(
      archived.map(async ([k]) => {
        const head = await s3.send(new HeadObjectCommand({ Bucket: deps.bucket, Key: k }));
        return {
          originalKey: decodeURIComponent(head.Metadata?.['lv-source-key'] ?? ''),
          modified: new Date(head.Metadata?.['lv-source-modified'] ?? ''),
          id: parseArchiveKey(k)?.id as string,
        };
      }),
    );
    const expected = restoreNames(listed).map((n) => join(out, ...n.segments));
    expect(results.map((r) => (r.status === 'restored' ? r.path : ''))).toEqual(expected);
    expect(new Set(expected).size).toBe(5);
    for (const [i, [, body]] of archived.entries()) {
      expect(readFileSync(expected[i] as string, 'utf8')).toBe(body);
      expect(expected[i]).toMatch(/\.log\.\d{8}T\d{6}Z(-[0-9a-f]{8})?$/);
    }
    expect(readdirSync(join(out, 'collide')).filter((n) => n.startsWith('.logvault'))).toEqual([]);
  });

  it('restores a key with a segment over 255 bytes under a shortened unique name, and says so', async () => {
    const long = `${'é'.repeat(140)}.log`;
    const key = await archive(`longname/${long}`, 'long\n');
    const out = mkdtempSync(join(tmpdir(), 'lv-long-'));
    const [result] = await restoreArchives(deps, [key], out);
    if (result?.status !== 'restored') throw new Error(`not restored: ${JSON.stringify(result)}`);
    expect(result.shortened).toBe(true);
    const [name] = readdirSync(join(out, 'longname'));
    expect(Buffer.byteLength(name as string)).toBeLessThanOrEqual(255);
    expect(name).toMatch(/^(é)+~[0-9a-f]{16}$/);
    expect(readFileSync(result.path, 'utf8')).toBe('long\n');
  });
});

describe('metadata is a hint, never what selects or names', () => {
  it('restores and verifies an intact archive whose source-key metadata is malformed, and reports it', async () => {
    const key = await archive('meta/malformed.log', 'intact\n');
    await replaceMetadata(s3, deps.bucket, key, { 'lv-source-key': '%E0%A4%A' });
    await verifyArchive(deps, key);
    const [result] = await restoreArchives(deps, [key], mkdtempSync(join(tmpdir(), 'lv-meta-')));
    if (result?.status !== 'restored') throw new Error(`not restored: ${JSON.stringify(result)}`);
    expect(readFileSync(result.path, 'utf8')).toBe('intact\n');
    expect(result.notes).toEqual(['unreadable metadata: lv-source-key']);
  });

  it('selects by the authenticated time, whatever the metadata says, and counts what it puts outside', async () => {
    const key = await archive('meta/1990.log', 'modern\n');
    const modified = (await verifyArchive(deps, key)).modified as Date;
    await replaceMetadata(s3, deps.bucket, key, { 'lv-source-modified': '1990-01-01' });
    const around = { from: new Date(modified.getTime() - 1000), to: new Date(modified.getTime() + 1000) };
    const out = mkdtempSync(join(tmpdir(), 'lv-time-'));
    const [inside] = await restoreArchives(deps, [key], out, { source: 'meta', ...around });
    if (inside?.status !== 'restored') throw new Error(`not restored: ${JSON.stringify(inside)}`);
    expect(inside.notes).toEqual([
      `metadata says modified 1990-01-01, the authenticated time is ${modified.toISOString()}`,
    ]);

    const before = mkdtempSync(join(tmpdir(), 'lv-time-'));
    const [outside] = await restoreArchives(deps, [key], before, { to: new Date(modified.getTime() - 1000) });
    expect(outside).toMatchObject({ status: 'outside-range', modified });
    expect(readdirSync(before)).toEqual([]);
  });

  it('restores an archive without an authenticated time by its key day, and reports metadata that disagrees', async () => {
    const day = new Date('2026-03-04T05:06:07Z');
    const key = await forgeArchive(s3, deps, {
      bucket: deps.ingestBucket,
      key: 'older/no-time.log',
      content: Buffer.from('older\n'),
      modified: null,
      day,
      metadata: { 'lv-source-modified': '1990-01-01T00:00:00.000Z' },
    });
    const out = mkdtempSync(join(tmpdir(), 'lv-older-'));
    const [result] = await restoreArchives(deps, [key], out, { source: 'older', from: day, to: day });
    if (result?.status !== 'restored') throw new Error(`not restored: ${JSON.stringify(result)}`);
    expect(result.decoded.modified).toBeUndefined();
    expect(result.notes).toEqual([
      "metadata says modified 1990-01-01T00:00:00.000Z, outside the archive key's day 2026-03-04",
    ]);
    expect(readFileSync(join(out, 'older', 'no-time.log'), 'utf8')).toBe('older\n');
  });
});
