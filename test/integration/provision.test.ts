import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { awkwardLogs, writeTree } from '#local/sample-logs.ts';
import { runShipperOnce } from '#local/shipper.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { createKms } from '#shared/clients/aws.ts';
import { restoreLogs } from '#shared/logs/restore-logs.ts';
import { SHIPPER_BUNDLE_PATH } from '#shared/provision/user-data.ts';
import { eventually, freshCloud } from '../helpers/cloud.ts';
import { ledgerOf } from '../helpers/packs.ts';

let cloud: LocalCloud;
let ec2: EC2Client;

const body = {
  name: 'web-1',
  instanceType: 't4g.micro',
  backupFrequency: 'rate(15 minutes)',
  tags: { team: 'web' },
  logPaths: ['/var/log/messages', '/var/log/app/*.log'],
};

interface Answer {
  status: number;
  json: Record<string, unknown> & { errors?: { field: string; message: string }[] };
}

async function call(
  method: string,
  path: string,
  payload?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${cloud.apiUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    ...(payload === undefined
      ? {}
      : { body: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
  return { status: res.status, json: (await res.json()) as Answer['json'] };
}

async function settled(statusUrl: string): Promise<Answer['json']> {
  return eventually(
    async () => {
      const { json } = await call('GET', statusUrl);
      return json.status === 'running' || json.status === 'failed' ? json : undefined;
    },
    `${statusUrl} to settle`,
    20_000,
  );
}

async function instancesTagged(requestId: string): Promise<Instance[]> {
  const res = await ec2.send(
    new DescribeInstancesCommand({ Filters: [{ Name: 'tag:logvault:request-id', Values: [requestId] }] }),
  );
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

beforeAll(async () => {
  cloud = await freshCloud();
  ec2 = new EC2Client({});
});
afterAll(() => cloud?.stop());

describe('POST /instances → provision queue → EC2', () => {
  let requestId: string;
  let instance: Instance;

  it('answers 202 and then a running request whose instance ships its logs', async () => {
    const res = await call('POST', '/instances', body, { 'Idempotency-Key': 'web-1-first' });
    expect(res.status).toBe(202);
    expect(res.json).toMatchObject({
      status: 'queued',
      statusUrl: `/instances/requests/${res.json.requestId}`,
    });
    requestId = String(res.json.requestId);

    const state = await settled(String(res.json.statusUrl));
    expect(state).toMatchObject({ status: 'running', requestId });
    const [only, ...rest] = await instancesTagged(requestId);
    expect(rest).toHaveLength(0);
    instance = only as Instance;
    expect(state.instanceIds).toEqual([instance.InstanceId]);
    const tags = Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(tags).toMatchObject({
      'logvault:request-id': requestId,
      'logvault:source': 'web-1',
      Name: 'web-1',
      team: 'web',
    });
    expect(instance.MetadataOptions?.HttpTokens).toBe('required');
    expect(instance.IamInstanceProfile?.Arn).toBe(cloud.outputs.InstanceProfileArn);
    const volumeIds = (instance.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId ?? '');
    const volumes = await ec2.send(new DescribeVolumesCommand({ VolumeIds: volumeIds }));
    expect(volumes.Volumes?.map((v) => v.Encrypted)).toEqual([true]);
  });

  let userData: string;

  it('gives the instance user data that installs the shipper and its timer', async () => {
    const attr = await ec2.send(
      new DescribeInstanceAttributeCommand({ InstanceId: instance.InstanceId, Attribute: 'userData' }),
    );
    // EC2 holds it gzip-compressed, as cloud-init takes it.
    userData = gunzipSync(Buffer.from(attr.UserData?.Value ?? '', 'base64')).toString('utf8');
    expect(userData).toContain('logvault-ship');
    expect(userData).toContain('.timer');
    expect(userData).toContain(cloud.outputs.IngestBucketName);
    expect(userData).not.toMatch(/AKIA|aws_secret_access_key/i);
  });

  it("makes the logs the user data's shipper sends restorable byte for byte", async () => {
    const opening = `cat >'${SHIPPER_BUNDLE_PATH}' <<'LOGVAULT_EOF'\n`;
    const from = userData.indexOf(opening) + opening.length;
    const bundle = userData.slice(from, userData.indexOf('\nLOGVAULT_EOF\n', from) + 1);
    expect(bundle.length).toBeGreaterThan(1000);
    const logDir = mkdtempSync(join(tmpdir(), 'lv-instance-logs-'));
    const files = awkwardLogs();
    writeTree(logDir, files);
    const source = String(instance.InstanceId);
    const run = await runShipperOnce({
      bundle,
      endpoint: cloud.endpoint,
      region: cloud.region,
      ingestBucket: String(cloud.outputs.IngestBucketName),
      instanceId: source,
      logPaths: [`${logDir}/**/*`],
      stateDir: mkdtempSync(join(tmpdir(), 'lv-shipper-state-')),
    });
    // Compressed with something it cannot read: passed over, and said so.
    expect(run.stderr).toContain('already.zst is compressed with something other than gzip');

    // First contact: a rotated gzip is recorded, not sent; nothing comes of empty, corrupt or
    // zstd files; any file sends its complete lines now, the rest once it has more.
    const sent = new Map<string, Buffer>();
    for (const [rel, content] of Object.entries(files))
      if (!/\.(gz|zst)$/.test(rel) && content.length > 0)
        sent.set(join(logDir, rel), content.subarray(0, content.lastIndexOf(0x0a) + 1));

    // Restored as a user restores a source: each log reassembled from what the archive holds.
    const deps = {
      s3: new S3Client({ forcePathStyle: true }),
      keyring: archiveKeyring(String(cloud.outputs.ArchiveKeyArn), createKms()),
      bucket: String(cloud.outputs.ArchiveBucketName),
      ingestBucket: String(cloud.outputs.IngestBucketName),
      ledger: ledgerOf(cloud),
    };
    const report = await eventually(
      async () => {
        const out = mkdtempSync(join(tmpdir(), 'lv-instance-restored-'));
        const r = await restoreLogs(deps, source, out, { allowGaps: false });
        return r.logs.length >= sent.size ? r : undefined;
      },
      'the shipped batch to be archived',
      60_000,
    );
    expect(report.logs.map((l) => l.path).sort()).toEqual([...sent.keys()].sort());
    for (const log of report.logs) {
      expect(log.gaps, log.path).toEqual([]);
      expect(readFileSync(log.file as string).equals(sent.get(log.path) as Buffer), log.path).toBe(true);
    }
  });

  it('answers a retry with the same Idempotency-Key with the same request, launching nothing more', async () => {
    const again = await call('POST', '/instances', body, { 'Idempotency-Key': 'web-1-first' });
    expect(again.status).toBe(202);
    expect(again.json.requestId).toBe(requestId);
    // Deliver the request to the worker once more too, as a duplicate SQS delivery would.
    const worker = cloud.functions.functions.find((f) => f.logicalId === 'ProvisionLambdaFunction');
    const result = await worker?.invoke({
      Records: [
        {
          messageId: 'dup',
          body: JSON.stringify({ requestId }),
          receiptHandle: 'dup',
          attributes: {},
          messageAttributes: {},
          md5OfBody: '',
          eventSource: 'aws:sqs',
          eventSourceARN: 'arn',
          awsRegion: 'us-east-1',
        },
      ],
    });
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await instancesTagged(requestId)).toHaveLength(1);
  });

  it('refuses the same Idempotency-Key with another body with 422', async () => {
    const res = await call(
      'POST',
      '/instances',
      { ...body, name: 'web-2' },
      { 'Idempotency-Key': 'web-1-first' },
    );
    expect(res.status).toBe(422);
    expect(res.json.message).toContain('Idempotency-Key');
  });

  it('lists what it launched, by source', async () => {
    const all = await call('GET', '/instances');
    expect(all.status).toBe(200);
    const bySource = await call('GET', '/instances?source=web-1');
    expect(bySource.json.instances).toEqual([
      expect.objectContaining({ instanceId: instance.InstanceId, requestId }),
    ]);
    const none = await call('GET', '/instances?source=nobody');
    expect(none.json.instances).toEqual([]);
  });

  it('gives instances a role that may only put objects under their own prefix (and encrypt them)', async () => {
    const iam = new IAMClient({});
    const RoleName = 'logvault-local-us-east-1-shipper';
    expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName }))).AttachedPolicies).toEqual([]);
    const names = (await iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames ?? [];
    const statements = [];
    for (const PolicyName of names) {
      const doc = (await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName }))).PolicyDocument ?? '';
      statements.push(
        ...(JSON.parse(decodeURIComponent(doc)) as { Statement: Record<string, unknown>[] }).Statement,
      );
    }
    expect(statements.map((st) => [st.Effect, st.Action, st.Resource])).toEqual([
      [
        'Allow',
        ['s3:PutObject', 's3:AbortMultipartUpload'],
        `arn:aws:s3:::${cloud.outputs.IngestBucketName}/\${aws:userid}/*`,
      ],
      ['Allow', ['kms:GenerateDataKey', 'kms:Decrypt'], expect.stringMatching(/^arn:aws:kms:/)],
    ]);
  });

  it('launches with tags named after Object members, and takes the same tags in another order as a retry', async () => {
    const tags = { toString: 'b', constructor: 'a', team: 'web' };
    const first = await call(
      'POST',
      '/instances',
      { ...body, name: 'web-3', tags },
      { 'Idempotency-Key': 'web-3' },
    );
    expect(first.status).toBe(202);
    const reordered = { team: 'web', constructor: 'a', toString: 'b' };
    const again = await call(
      'POST',
      '/instances',
      { ...body, name: 'web-3', tags: reordered },
      { 'Idempotency-Key': 'web-3' },
    );
    expect(again.status).toBe(202);
    expect(again.json.requestId).toBe(first.json.requestId);

    const state = await settled(String(first.json.statusUrl));
    expect(state.status).toBe('running');
    const [launched] = await instancesTagged(String(first.json.requestId));
    const launchedTags = Object.fromEntries((launched?.Tags ?? []).map((t) => [t.Key, t.Value]));
    expect(launchedTags).toMatchObject({ constructor: 'a', toString: 'b', team: 'web' });
  });

  it('answers 404 for an unknown request', async () => {
    const res = await call('GET', '/instances/requests/00000000-0000-0000-0000-000000000000');
    expect(res.status).toBe(404);
  });
});

describe('invalid requests', () => {
  it.each([
    ['unknown field', 400, 'colour', { ...body, colour: 'red' }],
    ['type outside the allow-list', 400, 'instanceType', { ...body, instanceType: 'p5.48xlarge' }],
    ['bad schedule', 400, 'backupFrequency', { ...body, backupFrequency: 'rate(0 minutes)' }],
    ['unknown policy', 400, 'policy', { ...body, policy: 'nope' }],
    ['count over the quota', 422, 'count', { ...body, count: 50 }],
    ['malformed JSON', 400, 'body', '{"name":'],
    [
      'a log path with a NUL byte',
      400,
      'logPaths.1',
      { ...body, logPaths: ['/var/log/a.log', '/var/log/\u0000b'] },
    ],
    [
      'log paths whose user data would exceed 16 KiB',
      400,
      'logPaths',
      // User data is launched gzip-compressed: only paths that do not compress away can overflow it.
      {
        ...body,
        logPaths: Array.from(
          { length: 30 },
          (_, i) =>
            `/var/log/${[0, 1, 2, 3, 4].map((j) => createHash('sha512').update(`${i}.${j}`).digest('base64url')).join('')}`,
        ),
      },
    ],
  ])('%s → %i naming %s', async (_what, status, field, payload) => {
    const res = await call('POST', '/instances', payload);
    expect(res.status).toBe(status);
    expect(res.json.errors?.map((e) => e.field)).toContain(field);
    expect(res.json.message).toContain(field);
  });

  it('refuses a body over 16 KiB with 413 and a non-JSON content type with 415', async () => {
    expect((await call('POST', '/instances', { ...body, pad: 'x'.repeat(17 * 1024) })).status).toBe(413);
    expect((await call('POST', '/instances', body, { 'content-type': 'text/plain' })).status).toBe(415);
  });

  it('answers a malformed percent-escape in the path with 400, and keeps serving', async () => {
    expect((await call('GET', '/instances/requests/%E0%A4%A')).status).toBe(400);
    expect((await call('GET', '/instances/requests/%')).status).toBe(400);
    expect((await call('GET', '//')).status).toBe(400);
    expect((await call('GET', '/instances')).status).toBe(200);
  });

  it('launches nothing for a refused request', async () => {
    const res = await ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Name', Values: ['web-2'] }] }),
    );
    expect(res.Reservations ?? []).toHaveLength(0);
  });
});
