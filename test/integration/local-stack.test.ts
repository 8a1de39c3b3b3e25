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
import { queueAttributes } from '#local/stack.ts';
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
    for (const [id, res] of resourcesOf('AWS::S3::Bucket').filter(
      ([id]) => id !== 'ServerlessDeploymentBucket',
    )) {
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
});
