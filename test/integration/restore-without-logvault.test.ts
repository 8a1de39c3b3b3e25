import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { logText } from '#local/sample-logs.ts';
import { archiveObject } from '#shared/archive/archive-object.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { createKms } from '#shared/clients/aws.ts';
import { policies } from '#shared/policies.ts';
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
    const ingest = cloud.outputs.IngestBucketName as string;
    const bucket = cloud.outputs.ArchiveBucketName as string;
    const keyArn = cloud.outputs.ArchiveKeyArn as string;
    const original = Buffer.from(logText(3000, 11));
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: 'web/app/app.log', Body: original }));
    const outcome = await archiveObject(
      {
        bucket: ingest,
        key: 'web/app/app.log',
        source: 'web',
        policy: 'standard',
        eventTime: new Date().toISOString(),
      },
      {
        s3,
        keyring: archiveKeyring(keyArn, createKms()),
        policies,
        logger: { info: () => undefined, warn: () => undefined },
        config: { archiveBucket: bucket, archiveKeyArn: keyArn },
      },
    );
    if (outcome.status !== 'archived') throw new Error(outcome.status);

    // The commands of docs/archive-format.md, step by step.
    const dir = mkdtempSync(join(tmpdir(), 'lv-manual-'));
    const env = { ...process.env, AWS_DEFAULT_REGION: cloud.region };
    await run(
      '.venv/bin/aws',
      ['s3api', 'get-object', '--bucket', bucket, '--key', outcome.archiveKey, join(dir, 'archive.lv')],
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
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: outcome.archiveKey }));
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
