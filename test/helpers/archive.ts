import { CopyObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { LocalCloud } from '#local/cloud.ts';
import { type ArchiveDeps, archiveObject } from '#shared/archive/archive-object.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { createKms } from '#shared/clients/aws.ts';
import { policies } from '#shared/policies.ts';

export { listKeys } from '#shared/clients/s3-list.ts';

/** Visible plus in-flight messages on a queue. */
export async function queueDepth(sqs: SQSClient, url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

/** The archive core's dependencies in a local cloud, with the stack's buckets and key. */
export function archiveDeps(cloud: LocalCloud, s3: S3Client): ArchiveDeps {
  const keyArn = cloud.outputs.ArchiveKeyArn as string;
  return {
    s3,
    keyring: archiveKeyring(keyArn, createKms()),
    policies,
    logger: { info: () => undefined, warn: () => undefined },
    config: {
      ingestBucket: cloud.outputs.IngestBucketName as string,
      archiveBucket: cloud.outputs.ArchiveBucketName as string,
      archiveKeyArn: keyArn,
    },
  };
}

/**
 * Uploads `body` to the ingest bucket and archives it at once through the real core, with a job
 * as the ingest function sends it: the object alone, its source and policy decided from the key.
 */
export async function archiveNow(
  cloud: LocalCloud,
  s3: S3Client,
  key: string,
  body: Buffer | string,
): Promise<string> {
  const ingest = cloud.outputs.IngestBucketName as string;
  await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: body }));
  const outcome = await archiveObject(
    { bucket: ingest, key, eventTime: new Date().toISOString() },
    archiveDeps(cloud, s3),
  );
  if (outcome.status !== 'archived') throw new Error(`${key} was not archived: ${outcome.status}`);
  return outcome.archiveKey;
}

/** Copies an object onto itself with some metadata changed, as anyone with write access could. */
export async function replaceMetadata(
  s3: S3Client,
  bucket: string,
  key: string,
  change: Record<string, string>,
): Promise<void> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: key,
      CopySource: `${bucket}/${encodeURIComponent(key)}`,
      MetadataDirective: 'REPLACE',
      Metadata: { ...head.Metadata, ...change },
    }),
  );
}
