import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { packageStack } from '#local/package.ts';
import { logText } from '#local/sample-logs.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { createKms } from '#shared/clients/aws.ts';
import { asPrincipal } from '#shared/clients/call-recorder.ts';
import { restoreLogs } from '#shared/logs/restore-logs.ts';
import { eventually, freshCloud } from '../helpers/cloud.ts';
import { lambdaContext } from '../helpers/lambda.ts';
import { ledgerOf } from '../helpers/packs.ts';

/**
 * The local cloud runs handlers from source; what deploys is the esbuild bundle. These tests run
 * the bundles `serverless package` writes (with their plugins, tree-shaking and ESM builds)
 * against the emulator, so a bundling mistake fails here rather than in a deployed function.
 */
type Handler = (event: unknown, context: unknown) => Promise<unknown>;

let cloud: LocalCloud;
let outDir: string;
let s3: S3Client;
let sqs: SQSClient;

/**
 * Imports a function's bundle with that function's own environment, read at import as on Lambda,
 * and runs it as the function's role (so its AWS calls are recorded as that role's).
 */
async function bundledHandler(fn: string): Promise<Handler> {
  const dir = join(outDir, fn);
  execFileSync('unzip', ['-q', '-o', join(outDir, `${fn}.zip`), '-d', dir]);
  const local = cloud.functions.functions.find((f) => f.handler === `functions/${fn}.handler`);
  if (!local) throw new Error(`no function ${fn} in the template`);
  Object.assign(process.env, local.environment);
  const mod = (await import(pathToFileURL(join(dir, 'functions', `${fn}.mjs`)).href)) as { handler: Handler };
  return (event, context) => asPrincipal(local.role, () => mod.handler(event, context));
}

/** Takes every message off a queue, as the event source mapping would hand them to the function. */
async function drain(queueUrl: string, expected: number): Promise<SQSEvent> {
  const records: SQSEvent['Records'] = [];
  await eventually(
    async () => {
      const res = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of res.Messages ?? []) {
        records.push({
          messageId: m.MessageId as string,
          receiptHandle: m.ReceiptHandle as string,
          body: m.Body as string,
          attributes: {} as never,
          messageAttributes: {},
          md5OfBody: m.MD5OfBody as string,
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:queue',
          awsRegion: 'us-east-1',
        });
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: [{ Id: '0', ReceiptHandle: m.ReceiptHandle as string }],
          }),
        );
      }
      return records.length >= expected ? true : undefined;
    },
    `${expected} message(s) on ${queueUrl}`,
    60_000,
  );
  return { Records: records };
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'lv-bundles-'));
  const [started] = await Promise.all([freshCloud({ triggers: false }), packageStack('local', outDir)]);
  cloud = started;
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
}, 300_000);

afterAll(async () => {
  await cloud?.stop();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('the packaged bundles', () => {
  it('ingest and archive turn an upload into an archive that restores byte for byte', async () => {
    const ingest = await bundledHandler('ingest');
    const archive = await bundledHandler('archive');
    const files = {
      'bundled/app/small.log': Buffer.from(logText(500, 7)),
      // Over one 8 MiB part once sealed: the multipart path runs too.
      'bundled/app/large.bin': randomBytes(10 * 1024 * 1024),
    };
    for (const [key, body] of Object.entries(files))
      await s3.send(new PutObjectCommand({ Bucket: cloud.outputs.IngestBucketName, Key: key, Body: body }));

    const notifications = await drain(cloud.outputs.IngestQueueUrl as string, 2);
    expect(await ingest(notifications, lambdaContext('ingest'))).toEqual({ batchItemFailures: [] });
    const jobs = await drain(cloud.outputs.ArchiveQueueUrl as string, 2);
    expect(await archive(jobs, lambdaContext('archive'))).toEqual({ batchItemFailures: [] });

    // The small log is packed, the large one archived alone: both restore by source.
    const deps = {
      s3,
      keyring: archiveKeyring(cloud.outputs.ArchiveKeyArn as string, createKms()),
      bucket: cloud.outputs.ArchiveBucketName as string,
      ingestBucket: cloud.outputs.IngestBucketName as string,
      ledger: ledgerOf(cloud),
    };
    const out = mkdtempSync(join(tmpdir(), 'lv-bundled-restored-'));
    const report = await restoreLogs(deps, 'bundled', out, { allowGaps: false });
    expect(report.logs.map((l) => l.path).sort()).toEqual(['app/large.bin', 'app/small.log']);
    expect(new Set(report.logs.flatMap((l) => l.archives)).size).toBe(2);
    for (const [key, body] of Object.entries(files))
      expect(readFileSync(join(out, key)).equals(body), key).toBe(true);
  });

  it('api, provision and sweep carry a request to a launched instance, and a scheduled sweep runs', async () => {
    const api = await bundledHandler('api');
    const provision = await bundledHandler('provision');
    const sweep = await bundledHandler('sweep');
    const post = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../events/http-post-instances.json'), 'utf8'),
    );
    const answer = (await api(post, lambdaContext('api'))) as { statusCode: number; body: string };
    expect(answer.statusCode).toBe(202);
    const { requestId } = JSON.parse(answer.body) as { requestId: string };

    const requests = await drain(cloud.outputs.ProvisionQueueUrl as string, 1);
    expect(await provision(requests, lambdaContext('provision'))).toEqual({ batchItemFailures: [] });
    const described = await new EC2Client({}).send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:logvault:request-id', Values: [requestId] }] }),
    );
    expect((described.Reservations ?? []).flatMap((r) => r.Instances ?? [])).toHaveLength(1);

    const scheduled = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../events/eventbridge-scheduled.json'), 'utf8'),
    );
    const report = (await sweep(
      { ...scheduled, time: new Date().toISOString() },
      lambdaContext('sweep'),
    )) as Record<string, unknown>;
    expect(report).toMatchObject({ refused: false, complete: true, deleted: 0, failed: 0 });
  });
});
