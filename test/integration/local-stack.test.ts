import {
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
} from '@aws-sdk/client-iam';
import { GetKeyPolicyCommand, GetKeyRotationStatusCommand, KMSClient } from '@aws-sdk/client-kms';
import {
  GetBucketEncryptionCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketVersioningCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { emulatorQuery, queueAttributes } from '#local/stack.ts';
import { freshCloud } from '../helpers/cloud.ts';

let cloud: LocalCloud;
const s3 = () => new S3Client({ forcePathStyle: true });

beforeAll(async () => {
  cloud = await freshCloud({ triggers: false });
});
afterAll(() => cloud?.stop());

type Props = Record<string, unknown>;
const resourcesOf = (type: string) =>
  Object.entries(cloud.template.Resources).filter(([, r]) => r.Type === type) as [
    string,
    { Properties: Props },
  ][];

describe('the local stack agrees with the packaged template', () => {
  it('has every queue with the template redrive policy and visibility timeout', async () => {
    const sqs = new SQSClient({});
    const queues = resourcesOf('AWS::SQS::Queue');
    expect(queues.length).toBeGreaterThanOrEqual(4);
    for (const [id, res] of queues) {
      const url = cloud.stack.physical.get(id)?.ref as string;
      const attrs = await queueAttributes(sqs, url);
      const want = (await cloud.stack.resolve(res.Properties)) as Props;
      if (want.VisibilityTimeout !== undefined)
        expect(attrs.VisibilityTimeout, id).toBe(String(want.VisibilityTimeout));
      if (want.RedrivePolicy) {
        expect(JSON.parse(attrs.RedrivePolicy ?? '{}'), id).toEqual(want.RedrivePolicy);
      }
      expect(attrs.KmsMasterKeyId, id).toBe(want.KmsMasterKeyId);
    }
    // Every work queue has a dead-letter queue.
    const dlqArns = new Set(
      queues
        .map(([, r]) => (r.Properties.RedrivePolicy as Props | undefined)?.deadLetterTargetArn)
        .filter(Boolean),
    );
    expect(dlqArns.size).toBeGreaterThanOrEqual(2);
  });

  it('has every bucket with the template notifications, versioning, encryption and lifecycle', async () => {
    const buckets = resourcesOf('AWS::S3::Bucket').filter(
      ([id]) => id !== 'ServerlessDeploymentBucket' && cloud.stack.active.has(id),
    );
    expect(buckets.map(([id]) => id).sort()).toEqual(['ArchiveBucket', 'IngestBucket']);
    for (const [id, res] of buckets) {
      const Bucket = cloud.stack.physical.get(id)?.ref as string;
      const want = (await cloud.stack.resolve(res.Properties)) as Props;
      const versioning = await s3().send(new GetBucketVersioningCommand({ Bucket }));
      expect(versioning.Status, id).toBe((want.VersioningConfiguration as Props | undefined)?.Status);
      const enc = await s3().send(new GetBucketEncryptionCommand({ Bucket }));
      expect(
        enc.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
        id,
      ).toBe('aws:kms');
      const lifecycle = await s3().send(new GetBucketLifecycleConfigurationCommand({ Bucket }));
      const wantRules = (
        (want.LifecycleConfiguration as { Rules: { Id: string }[] }) ?? { Rules: [] }
      ).Rules.map((r) => r.Id).sort();
      expect((lifecycle.Rules ?? []).map((r) => r.ID).sort(), id).toEqual(wantRules);
      const notifications = await s3().send(new GetBucketNotificationConfigurationCommand({ Bucket }));
      const wantQueues =
        (want.NotificationConfiguration as { QueueConfigurations?: { Queue: string }[] } | undefined)
          ?.QueueConfigurations ?? [];
      expect(
        (notifications.QueueConfigurations ?? []).map((q) => q.QueueArn),
        id,
      ).toEqual(wantQueues.map((q) => q.Queue));
    }
  });

  it('wires every SQS event source of the template to its function', () => {
    const mappings = resourcesOf('AWS::Lambda::EventSourceMapping');
    expect(cloud.functions.queues).toHaveLength(mappings.length);
    for (const q of cloud.functions.queues) {
      expect(q.reportBatchItemFailures).toBe(true);
      expect(q.batchSize).toBeGreaterThan(0);
    }
  });

  it('gives every function its own environment, as the template declares it', async () => {
    for (const fn of cloud.functions.functions) {
      const want = (await cloud.stack.resolve(cloud.template.Resources[fn.logicalId]?.Properties)) as {
        Environment?: { Variables?: Record<string, unknown> };
      };
      const variables = Object.entries(want.Environment?.Variables ?? {}).map(([k, v]) => [k, String(v)]);
      expect(fn.environment, fn.logicalId).toEqual(Object.fromEntries(variables));
    }
    // Each consumer's own dead-letter queue: no one value for the whole process.
    const own = (id: string) =>
      cloud.functions.functions.find((f) => f.logicalId === id)?.environment.DEAD_LETTER_QUEUE_URL;
    expect(own('IngestLambdaFunction')).toBe(cloud.outputs.IngestDeadLetterQueueUrl);
    expect(own('ArchiveLambdaFunction')).toBe(cloud.outputs.ArchiveDeadLetterQueueUrl);
    expect(process.env.DEAD_LETTER_QUEUE_URL).toBeUndefined();
  });

  it('gives every function a role of its own, with the template inline policy', async () => {
    const iam = new IAMClient({});
    const functions = resourcesOf('AWS::Lambda::Function');
    expect(functions).toHaveLength(5);
    const roleIds = functions.map(
      ([, fn]) => (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0],
    );
    expect(new Set(roleIds).size).toBe(functions.length);
    for (const id of [...roleIds, 'ArchiveRestoreRole']) {
      const RoleName = cloud.stack.physical.get(String(id))?.ref as string;
      const want = (await cloud.stack.resolve(cloud.template.Resources[String(id)]?.Properties)) as {
        AssumeRolePolicyDocument: unknown;
        Policies: { PolicyName: string; PolicyDocument: unknown }[];
      };
      const role = await iam.send(new GetRoleCommand({ RoleName }));
      expect(JSON.parse(decodeURIComponent(role.Role?.AssumeRolePolicyDocument ?? '')), id).toEqual(
        want.AssumeRolePolicyDocument,
      );
      const names = (await iam.send(new ListRolePoliciesCommand({ RoleName }))).PolicyNames ?? [];
      expect(names, id).toEqual(want.Policies.map((p) => p.PolicyName));
      for (const policy of want.Policies) {
        const got = await iam.send(new GetRolePolicyCommand({ RoleName, PolicyName: policy.PolicyName }));
        expect(JSON.parse(decodeURIComponent(got.PolicyDocument ?? '')), id).toEqual(policy.PolicyDocument);
      }
    }
  });

  it('has both keys with the template key policy and rotation on', async () => {
    const kms = new KMSClient({});
    for (const [id, res] of resourcesOf('AWS::KMS::Key')) {
      const KeyId = cloud.stack.physical.get(id)?.ref as string;
      const want = (await cloud.stack.resolve(res.Properties)) as Props;
      const policy = await kms.send(new GetKeyPolicyCommand({ KeyId, PolicyName: 'default' }));
      expect(JSON.parse(policy.Policy ?? ''), id).toEqual(want.KeyPolicy);
      expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId }))).KeyRotationEnabled, id).toBe(true);
    }
  });

  it('has every alarm of the template, each notifying the encrypted alarm topic', async () => {
    const region = process.env.AWS_REGION ?? 'us-east-1';
    const topicArn = cloud.stack.physical.get('AlarmTopic')?.ref as string;
    const topic = await emulatorQuery('sns', { Action: 'GetTopicAttributes', TopicArn: topicArn }, region);
    const keyId = cloud.stack.physical.get('PipelineKey')?.ref as string;
    expect(topic).toContain(`<key>KmsMasterKeyId</key><value>${keyId}</value>`);

    const alarms = resourcesOf('AWS::CloudWatch::Alarm');
    // One per dead-letter queue and one per function.
    expect(alarms).toHaveLength(resourcesOf('AWS::Lambda::Function').length + 4);
    const xml = await emulatorQuery('monitoring', { Action: 'DescribeAlarms', MaxRecords: '100' }, region);
    // Each alarm's XML runs from its <AlarmName> to the next one's.
    const described = xml
      .split('<AlarmName>')
      .slice(1)
      .map((a) => `<AlarmName>${a}`);
    for (const [id, res] of alarms) {
      const want = (await cloud.stack.resolve(res.Properties)) as Props;
      const alarm = described.find((a) => a.includes(`<AlarmName>${want.AlarmName}</AlarmName>`));
      expect(alarm, id).toBeDefined();
      expect(alarm, id).toContain(`<MetricName>${want.MetricName}</MetricName>`);
      expect(alarm, id).toContain(`<Threshold>${Number(want.Threshold).toFixed(1)}</Threshold>`);
      expect(alarm, id).toContain(topicArn);
      const dimension = (want.Dimensions as { Value: string }[])[0]?.Value;
      expect(alarm, id).toContain(`<Value>${dimension}</Value>`);
    }
  });

  it('leaves out what is off by default: the access-log bucket and the alarm e-mail subscription', () => {
    for (const id of ['AccessLogBucket', 'AccessLogBucketPolicy', 'AlarmEmailSubscription']) {
      expect(cloud.template.Resources[id], id).toBeDefined();
      expect(cloud.stack.active.has(id), id).toBe(false);
    }
    expect(cloud.stack.active.has('IngestBucket')).toBe(true);
  });
});
