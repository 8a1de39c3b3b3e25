import type { SQSEvent, SQSRecord } from 'aws-lambda';
import archiveJobEvent from '../../events/sqs-archive-job.json' with { type: 'json' };
import notificationEvent from '../../events/sqs-s3-notification.json' with { type: 'json' };

const baseRecord = archiveJobEvent.Records[0] as SQSRecord;

/** An SQS record carrying `body`, shaped like the sample event. */
export function sqsRecord(body: string, messageId: string = crypto.randomUUID()): SQSRecord {
  return { ...baseRecord, messageId, receiptHandle: `rh-${messageId}`, body };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** The body of an S3 notification for `key` in `bucket`, with the key encoded the way S3 encodes it. */
export function s3Notification(bucket: string, key: string, eventName = 'ObjectCreated:Put'): string {
  const sample = JSON.parse((notificationEvent.Records[0] as SQSRecord).body) as {
    Records: { eventName: string; s3: { bucket: { name: string; arn: string }; object: { key: string } } }[];
  };
  const record = sample.Records[0];
  if (!record) throw new Error('sample notification has no record');
  record.eventName = eventName;
  record.s3.bucket = { name: bucket, arn: `arn:aws:s3:::${bucket}` };
  record.s3.object.key = encodeURIComponent(key).replace(/%20/g, '+');
  return JSON.stringify(sample);
}
