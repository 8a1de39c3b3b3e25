import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { KMS } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { recordCalls } from './call-recorder.ts';

/**
 * Shared client options. The endpoint is never set here: the SDK reads AWS_ENDPOINT_URL itself,
 * which is how the local emulator is reached. Only S3 needs path-style addressing for it.
 */
const common = { maxAttempts: 5 } as const;

export const createS3 = (): S3Client =>
  recordCalls(new S3Client({ ...common, forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL) }));
export const createSqs = (): SQSClient => recordCalls(new SQSClient(common));
// The Encryption SDK's KMS keyring calls methods by name, so it needs the aggregated client.
export const createKms = (): KMS => recordCalls(new KMS(common));

export const createEc2 = (): EC2Client => recordCalls(new EC2Client(common));
export const createSsm = (): SSMClient => recordCalls(new SSMClient(common));
// Optional request fields are left out of items rather than refused.
export const createDocumentClient = (): DynamoDBDocumentClient =>
  DynamoDBDocumentClient.from(recordCalls(new DynamoDBClient(common)), {
    marshallOptions: { removeUndefinedValues: true },
  });
