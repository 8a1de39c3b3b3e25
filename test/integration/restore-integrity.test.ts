import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CopyObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { logText } from '#local/sample-logs.ts';
import { thaw } from '#shared/archive/cold.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import type { ReadDeps } from '#shared/archive/open-archive.ts';
import { restoreToDirectory, verifyArchive } from '#shared/archive/restore.ts';
import { createKms } from '#shared/clients/aws.ts';
import { ColdObjectError, IntegrityError } from '#shared/errors.ts';
import { archiveNow } from '../helpers/archive.ts';
import { freshCloud } from '../helpers/cloud.ts';

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
  deps = {
    s3,
    keyring: archiveKeyring(cloud.outputs.ArchiveKeyArn as string, createKms()),
    bucket: cloud.outputs.ArchiveBucketName as string,
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
    await expect(restoreToDirectory(deps, key, out)).rejects.toBeInstanceOf(ColdObjectError);
    await expect(thaw(deps, key, { wait: false, tier: 'Bulk' })).rejects.toMatchObject({
      restoreState: 'not-started',
    });

    await thaw(deps, key, { wait: true, tier: 'Bulk', pollMs: 100 });
    const { decoded } = await restoreToDirectory(deps, key, out);
    expect(decoded.originalKey).toBe('cold/old.log');
  });
});
