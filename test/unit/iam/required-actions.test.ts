import { describe, expect, it } from 'vitest';
import { type RecordedCall, USERID } from '../../iam/calls.ts';
import { baseS3Actions, requiredActions } from '../../iam/required-actions.ts';
import type { StackModel } from '../../iam/stack-model.ts';

// A stack of two buckets: `Archive` (SSE-KMS with `ArchiveKey`, bucket key on) and `Plain`.
const model = {
  arn: (id: string) =>
    ({
      Archive: 'arn:aws:s3:::archive-bucket',
      Plain: 'arn:aws:s3:::plain-bucket',
      ArchiveKey: 'arn:aws:kms:us-east-1:123456789012:key/k1',
      Jobs: 'arn:aws:sqs:us-east-1:123456789012:jobs',
      QueueKey: 'arn:aws:kms:us-east-1:123456789012:key/k2',
      Profile: 'arn:aws:iam::123456789012:instance-profile/p',
      ShipperRole: 'arn:aws:iam::123456789012:role/shipper',
    })[id] ?? '',
  keyOf: (id: string) => ({ Archive: 'ArchiveKey', Jobs: 'QueueKey' })[id],
  bucketKeyEnabled: (id: string) => id === 'Archive',
  roleOfProfile: (id: string) => (id === 'Profile' ? 'ShipperRole' : undefined),
} as unknown as StackModel;
const session = { userId: 'AROAEXAMPLE:i-1' };
const needs = (call: Omit<RecordedCall, 'principal'>, principal = 'SomeRole') =>
  requiredActions({ principal, ...call }, model, session).map((r) => `${r.action} ${r.resource}`);

describe('the permissions an S3 call needs', () => {
  it('a PUT with tags and Object Lock needs tagging, retention and the bucket key through S3', () => {
    const put = {
      call: 's3:PutObject',
      resource: 'Archive',
      key: 'archive/*',
      with: ['objectLock', 'tagging'],
    };
    expect(needs(put)).toEqual([
      's3:PutObject arn:aws:s3:::archive-bucket/archive/logvault-sample-key',
      's3:PutObjectTagging arn:aws:s3:::archive-bucket/archive/logvault-sample-key',
      's3:PutObjectRetention arn:aws:s3:::archive-bucket/archive/logvault-sample-key',
      'kms:GenerateDataKey arn:aws:kms:us-east-1:123456789012:key/k1',
    ]);
    const kms = requiredActions({ principal: 'R', ...put }, model, session).at(-1);
    // A bucket key makes KMS see the bucket, not the object.
    expect(kms?.context).toMatchObject({
      'kms:ViaService': 's3.us-east-1.amazonaws.com',
      'kms:EncryptionContext:aws:s3:arn': 'arn:aws:s3:::archive-bucket',
    });
  });

  it('ListMultipartUploads needs ListBucketMultipartUploads on the bucket, not ListBucket', () => {
    expect(needs({ call: 's3:ListMultipartUploads', resource: 'Archive', prefix: 'archive/*' })).toEqual([
      's3:ListBucketMultipartUploads arn:aws:s3:::archive-bucket',
    ]);
  });

  it('a version id turns GetObject and DeleteObject into their version actions', () => {
    expect(needs({ call: 's3:GetObject', resource: 'Plain', key: '*', with: ['versionId'] })[0]).toBe(
      's3:GetObjectVersion arn:aws:s3:::plain-bucket/logvault-sample-key',
    );
    expect(needs({ call: 's3:DeleteObject', resource: 'Plain', key: '*', with: ['versionId'] })).toEqual([
      's3:DeleteObjectVersion arn:aws:s3:::plain-bucket/logvault-sample-key',
    ]);
  });

  it('multipart parts need kms:Decrypt; the sweeper HEAD also needs the lock-state reads', () => {
    expect(needs({ call: 's3:UploadPart', resource: 'Archive', key: 'archive/*' })).toContain(
      'kms:Decrypt arn:aws:kms:us-east-1:123456789012:key/k1',
    );
    expect(
      needs({ call: 's3:HeadObject', resource: 'Archive', key: 'archive/*' }, 'SweepFunctionRole'),
    ).toEqual([
      's3:GetObject arn:aws:s3:::archive-bucket/archive/logvault-sample-key',
      's3:ListBucket arn:aws:s3:::archive-bucket',
      's3:GetObjectRetention arn:aws:s3:::archive-bucket/archive/logvault-sample-key',
      's3:GetObjectLegalHold arn:aws:s3:::archive-bucket/archive/logvault-sample-key',
    ]);
  });

  it("a session prefix becomes the caller's own aws:userid", () => {
    expect(needs({ call: 's3:PutObject', resource: 'Plain', key: `${USERID}/*` })).toEqual([
      's3:PutObject arn:aws:s3:::plain-bucket/AROAEXAMPLE:i-1/logvault-sample-key',
    ]);
  });

  it('gives the static template check the actions of each S3 operation, per way of calling it', () => {
    expect(baseS3Actions('ListMultipartUploads')).toEqual([['s3:ListBucketMultipartUploads']]);
    expect(baseS3Actions('DeleteObject')).toEqual([['s3:DeleteObject'], ['s3:DeleteObjectVersion']]);
    expect(baseS3Actions('HeadObject')).toEqual([
      ['s3:GetObject', 's3:ListBucket'],
      ['s3:GetObjectVersion', 's3:ListBucket'],
    ]);
  });
});

describe('the permissions other calls need', () => {
  it('sending to an encrypted queue needs the queue key through SQS', () => {
    expect(needs({ call: 'sqs:SendMessageBatch', resource: 'Jobs' })).toEqual([
      'sqs:SendMessage arn:aws:sqs:us-east-1:123456789012:jobs',
      'kms:GenerateDataKey arn:aws:kms:us-east-1:123456789012:key/k2',
      'kms:Decrypt arn:aws:kms:us-east-1:123456789012:key/k2',
    ]);
  });

  it('a launch with tags and an instance profile needs CreateTags at launch and PassRole', () => {
    const launch = requiredActions(
      { principal: 'R', call: 'ec2:RunInstances', with: ['instanceProfile:Profile', 'tags:instance'] },
      model,
      session,
    );
    expect(launch.filter((r) => r.action === 'ec2:RunInstances')).toHaveLength(6);
    expect(launch.find((r) => r.action === 'ec2:CreateTags')?.context).toEqual({
      'ec2:CreateAction': 'RunInstances',
    });
    expect(launch.find((r) => r.action === 'iam:PassRole')).toMatchObject({
      resource: 'arn:aws:iam::123456789012:role/shipper',
      context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
    });
  });

  it('refuses to guess for an operation it has no rule for', () => {
    expect(() => needs({ call: 's3:CopyObject', resource: 'Plain', key: '*' })).toThrow(
      /no rule for s3:CopyObject/,
    );
  });
});
