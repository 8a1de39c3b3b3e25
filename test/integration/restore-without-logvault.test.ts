import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { logText } from '#local/sample-logs.ts';
import { archiveNow } from '../helpers/archive.ts';
import { freshCloud } from '../helpers/cloud.ts';

const run = promisify(execFile);
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
});
afterAll(() => cloud?.stop());

describe('the documented restore path, without logvault', () => {
  it('gives back the original with the AWS CLI, the Encryption SDK CLI and zstd', async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    const bucket = cloud.outputs.ArchiveBucketName as string;
    const keyArn = cloud.outputs.ArchiveKeyArn as string;
    const original = Buffer.from(logText(3000, 11));
    const archiveKey = await archiveNow(cloud, s3, 'web/app/app.log', original);

    // The commands of docs/archive-format.md, step by step.
    const dir = mkdtempSync(join(tmpdir(), 'lv-manual-'));
    const env = { ...process.env, AWS_DEFAULT_REGION: cloud.region };
    await run(
      '.venv/bin/aws',
      ['s3api', 'get-object', '--bucket', bucket, '--key', archiveKey, join(dir, 'archive.lv')],
      { env },
    );
    await run(
      '.venv/bin/aws-encryption-cli',
      [
        '--decrypt-unsigned',
        '--input',
        join(dir, 'archive.lv'),
        '--output',
        join(dir, 'payload'),
        '--wrapping-keys',
        `key=${keyArn}`,
        '--commitment-policy',
        'require-encrypt-require-decrypt',
        '--max-encrypted-data-keys',
        '1',
        '--encryption-context',
        'logvault:key=web/app/app.log',
        '--metadata-output',
        join(dir, 'payload.metadata.json'),
      ],
      { env },
    );
    await run('zstd', ['-q', '-d', join(dir, 'payload'), '-o', join(dir, 'app.log')]);

    const restored = readFileSync(join(dir, 'app.log'));
    expect(restored.equals(original)).toBe(true);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: archiveKey }));
    expect(readFileSync(join(dir, 'payload.metadata.json'), 'utf8')).toContain(
      head.Metadata?.['lv-sha256'] as string,
    );
  });

  it('refuses, at the Encryption SDK CLI, an archive that names a different original', async () => {
    const bucket = cloud.outputs.ArchiveBucketName as string;
    const keyArn = cloud.outputs.ArchiveKeyArn as string;
    const dir = mkdtempSync(join(tmpdir(), 'lv-manual-'));
    const env = { ...process.env, AWS_DEFAULT_REGION: cloud.region };
    const { stdout } = await run(
      '.venv/bin/aws',
      [
        's3api',
        'list-objects-v2',
        '--bucket',
        bucket,
        '--prefix',
        'archive/web/',
        '--query',
        'Contents[0].Key',
        '--output',
        'text',
      ],
      { env },
    );
    await run(
      '.venv/bin/aws',
      ['s3api', 'get-object', '--bucket', bucket, '--key', stdout.trim(), join(dir, 'a.lv')],
      { env },
    );
    const refused = await run(
      '.venv/bin/aws-encryption-cli',
      [
        '--decrypt-unsigned',
        '--input',
        join(dir, 'a.lv'),
        '--output',
        join(dir, 'out'),
        '--wrapping-keys',
        `key=${keyArn}`,
        '--commitment-policy',
        'require-encrypt-require-decrypt',
        '--encryption-context',
        'logvault:key=web/other.log',
        '-S',
      ],
      { env },
    ).then(
      (r) => r.stderr,
      (e: { stderr: string }) => e.stderr,
    );
    // The CLI exits 0 here, but says why and writes no output.
    expect(refused).toContain('encryption context did not match');
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
