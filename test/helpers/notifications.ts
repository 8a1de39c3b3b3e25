import {
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/**
 * Turns a bucket's event notifications off, so that objects a test puts there, or archive jobs it
 * runs itself, race no notification-driven job; answers what turns them back on as they were.
 */
export async function pauseNotifications(s3: S3Client, bucket: string): Promise<() => Promise<void>> {
  const { $metadata: _, ...saved } = await s3.send(
    new GetBucketNotificationConfigurationCommand({ Bucket: bucket }),
  );
  const put = (NotificationConfiguration: typeof saved) =>
    s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration }));
  await put({});
  return async () => {
    await put(saved);
  };
}
