import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { createKms } from '#shared/clients/aws.ts';
import { shipFile } from '#shared/ingest/ship.ts';
import { restoreLogs } from '#shared/logs/restore-logs.ts';
import { type CapturedOutput, captureOutput } from '../helpers/capture-logs.ts';
import { eventually, freshCloud } from '../helpers/cloud.ts';
import { ledgerOf } from '../helpers/packs.ts';

// Ask every logger to log its whole event: the handlers must refuse, whatever the environment says.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOGGER_LOG_EVENT = 'true';
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

/** Strings that appear only inside log contents, request headers and message bodies. */
const canary = {
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYCANARY0001',
  password: 'hunter2-CANARY-PW-0002',
  bearer: 'eyJhbGciOiJIUzI1NiJ9.CANARY0003.c2lnbmF0dXJl',
  presignedSignature: 'CANARY0004deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdead',
  authorization: 'CANARY0005SIGNATUREc0ffee',
  securityToken: 'CANARY0006FQoGZXIvYXdzEJr',
  bodyOnly: 'CANARY0007-in-a-message-body',
  // JSON.parse quotes the first 10 characters of what it cannot parse: a canary that fits there.
  bodyStart: 'QzX7pWk2',
};
const presignedUrl =
  'https://logs.s3.amazonaws.com/i-1/app.log?X-Amz-Algorithm=AWS4-HMAC-SHA256' +
  '&X-Amz-Credential=AKIACANARY0008%2F20261124%2Fus-east-1%2Fs3%2Faws4_request' +
  `&X-Amz-Date=20261124T101502Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${canary.presignedSignature}`;
/** Short enough for a tag value (256 characters). */
const presignedShort =
  'https://logs.s3.amazonaws.com/a?X-Amz-Credential=AKIACANARY0008%2F20261124%2Fus-east-1%2Fs3%2Faws4_request' +
  `&X-Amz-Signature=${canary.presignedSignature}`;
const credentials = {
  secret: 'CANARY0009SecretAccessKeyFromTheEnvironment',
  session: 'CANARY0010SessionTokenFromTheEnvironment',
};

const logLines = [
  '2026-11-24T10:15:02Z app[311]: starting worker',
  `2026-11-24T10:15:03Z app[311]: env AWS_SECRET_ACCESS_KEY=${canary.awsSecret}`,
  `2026-11-24T10:15:04Z app[311]: login ok user=ops password=${canary.password}`,
  `2026-11-24T10:15:05Z nginx: "GET /api" 200 "Authorization: Bearer ${canary.bearer}"`,
  `2026-11-24T10:15:06Z app[311]: fetched ${presignedUrl}`,
].join('\n');

let cloud: LocalCloud;
let logs: CapturedOutput;
let s3: S3Client;
let sqs: SQSClient;

const api = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: {
      'content-type': 'application/json',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIACANARY0008/20261124/us-east-1/execute-api/aws4_request, SignedHeaders=host, Signature=${canary.authorization}`,
      'x-amz-security-token': canary.securityToken,
      'x-amz-date': '20261124T101502Z',
      'idempotency-key': `hygiene-${method}-${path}`,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  cloud = await freshCloud();
  // Distinctive credentials, so a log line that carried them would show; moto accepts any.
  process.env.AWS_SECRET_ACCESS_KEY = credentials.secret;
  process.env.AWS_SESSION_TOKEN = credentials.session;
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
  logs = captureOutput();
});
afterAll(async () => {
  logs?.stop();
  await cloud?.stop();
});

describe('logs carry no secrets, signatures or log contents', () => {
  it('archives and restores logs full of secrets without logging any of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-hygiene-'));
    const file = join(dir, 'app.log');
    writeFileSync(file, `${logLines}\n`);
    await shipFile(s3, cloud.outputs.IngestBucketName as string, 'hygiene', {
      path: file,
      relativeKey: 'app.log',
      size: Buffer.byteLength(`${logLines}\n`),
    });
    const bucket = cloud.outputs.ArchiveBucketName as string;
    const archived = await eventually(
      async () => logs.records().find((r) => r.message === 'archived' && r.objectKey === 'hygiene/app.log'),
      'the log archived',
    );
    const out = mkdtempSync(join(tmpdir(), 'lv-hygiene-out-'));
    const keyring = archiveKeyring(cloud.outputs.ArchiveKeyArn as string, createKms());
    const ingestBucket = cloud.outputs.IngestBucketName as string;
    const report = await restoreLogs(
      { s3, keyring, bucket, ingestBucket, ledger: ledgerOf(cloud) },
      'hygiene',
      out,
      { allowGaps: false },
    );
    // The canaries really went through the pipeline.
    expect(report.logs.map((l) => l.file)).toEqual([join(out, 'hygiene', 'app.log')]);
    expect(readFileSync(join(out, 'hygiene', 'app.log'), 'utf8')).toContain(canary.password);
    expect(report.logs[0]?.archives).toEqual([archived.archiveKey]);
  });

  it('fails malformed messages full of secrets without logging their bodies', async () => {
    const bodies: [string, string][] = [
      [cloud.outputs.IngestQueueUrl as string, `${canary.bodyStart} password=${canary.password}`],
      [cloud.outputs.IngestQueueUrl as string, JSON.stringify({ Records: [{ eventName: canary.bodyOnly }] })],
      [
        cloud.outputs.ArchiveQueueUrl as string,
        JSON.stringify({ bucket: 'b-1', key: 'k', source: 's', policy: 'p', eventTime: canary.bodyOnly }),
      ],
      [cloud.outputs.ProvisionQueueUrl as string, `{"requestId": "${canary.bearer}"`],
      [cloud.outputs.ProvisionQueueUrl as string, `${canary.bodyStart} Bearer ${canary.bearer}`],
      [cloud.outputs.ArchiveQueueUrl as string, `${canary.bodyStart} ${canary.bodyOnly}`],
      [cloud.outputs.SweepQueueUrl as string, `${canary.bodyStart} ${canary.bodyOnly}`],
      [cloud.outputs.SweepQueueUrl as string, `{"kind":"sweep-continue","now":"${canary.bodyOnly}"}`],
    ];
    const ids: string[] = [];
    for (const [QueueUrl, MessageBody] of bodies) {
      const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody }));
      ids.push(sent.MessageId as string);
    }
    await eventually(async () => {
      const failed = new Set(
        logs
          .records()
          .filter((r) => r.message === 'record failed')
          .map((r) => r.messageId),
      );
      return ids.every((id) => failed.has(id)) ? true : undefined;
    }, 'every malformed message to fail');
  });

  it('serves API requests with credentials in headers and a presigned URL in the body without logging them', async () => {
    const accepted = await api('POST', '/instances', {
      name: 'hygiene-1',
      instanceType: 't4g.micro',
      backupFrequency: 'rate(1 hour)',
      tags: { download: presignedShort, note: canary.bodyOnly },
    });
    expect(accepted.status).toBe(202);
    const refused = await api('POST', '/instances', {
      name: 'hygiene-2',
      instanceType: 't4g.micro',
      backupFrequency: presignedUrl,
      callback: presignedUrl,
    });
    expect(refused.status).toBe(400);
    await eventually(async () => {
      const { json } = await api('GET', String(accepted.json.statusUrl));
      return json.status === 'running' || json.status === 'failed' ? json : undefined;
    }, 'the request to settle');
    expect((await api('GET', '/instances?source=hygiene-1')).status).toBe(200);
    expect((await api('GET', '/instances/requests/not-a-request')).status).toBe(404);
  });

  it('logged plenty, and none of it is a secret', () => {
    const text = logs.text();
    // The pipeline did log: the archive, every failed record, the settled request.
    const messages = logs.records().map((r) => r.message);
    for (const m of ['queued archive job', 'archived', 'record failed', 'request settled'])
      expect(messages).toContain(m);
    const forbidden = [...Object.values(canary), credentials.secret, credentials.session];
    for (const needle of forbidden) expect(text, needle).not.toContain(needle);
    expect(text).not.toMatch(/x-amz-signature/i);
    expect(text).not.toMatch(/x-amz-credential/i);
    expect(text).not.toMatch(/x-amz-security-token/i);
    expect(text).not.toMatch(/authorization/i);
  });
});
