import { describe, expect, it } from 'vitest';
import { authorisationParams } from '#shared/clients/call-recorder.ts';
import { keyPattern, missingFrom, normalise, reduceCall, USERID } from '../../iam/calls.ts';

const names = new Map([
  ['logvault-local-archive', 'ArchiveBucket'],
  ['arn:aws:kms:us-east-1:123456789012:key/k1', 'ArchiveKey'],
  ['logvault-local-archive-queue', 'ArchiveQueue'],
]);

describe('what a recorded call is reduced to', () => {
  it('keys become the prefix that matters for ARNs', () => {
    expect(keyPattern('archive/web/2026/11/26/abc.zst')).toBe('archive/*');
    expect(keyPattern('expiry/2027-01-01/archive/x')).toBe('expiry/*');
    expect(keyPattern('_logvault/sweeper/state.json')).toBe('_logvault/sweeper/*');
    expect(keyPattern('_logvault/reports/sweep/2026.json')).toBe('_logvault/reports/sweep/*');
    expect(keyPattern('web-1/var/log/app.log')).toBe('*');
    expect(keyPattern(`${USERID}/var/log/app.log`)).toBe(`${USERID}/*`);
  });

  it('keeps what authorisation depends on and drops the rest', () => {
    const params = authorisationParams({
      Bucket: 'logvault-local-archive',
      Key: 'archive/a',
      Body: 'never recorded',
      Metadata: { secret: 'x' },
      Tagging: 'logvault-policy=default',
      ObjectLockRetainUntilDate: new Date(0),
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k1',
    });
    expect(params).toEqual({
      Bucket: 'logvault-local-archive',
      Key: 'archive/a',
      ServerSideEncryption: 'aws:kms',
      SSEKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k1',
      Tagging: true,
      ObjectLockRetainUntilDate: true,
    });
    expect(
      reduceCall(
        { kind: 'call', principal: 'ArchiveFunctionRole', service: 'S3', operation: 'PutObject', params },
        names,
      ),
    ).toEqual([
      {
        principal: 'ArchiveFunctionRole',
        call: 's3:PutObject',
        resource: 'ArchiveBucket',
        key: 'archive/*',
        with: ['objectLock', 'sse-kms:ArchiveKey', 'tagging'],
      },
    ]);
  });

  it('names queues by their name whatever endpoint answered, and marks what is not in the stack', () => {
    const send = (QueueUrl: string) =>
      reduceCall(
        { kind: 'call', principal: 'R', service: 'SQS', operation: 'SendMessage', params: { QueueUrl } },
        names,
      );
    expect(send('http://127.0.0.1:4566/123456789012/logvault-local-archive-queue')[0]?.resource).toBe(
      'ArchiveQueue',
    );
    expect(send('http://127.0.0.1:4566/123456789012/other')[0]?.resource).toBe(
      'external:http://127.0.0.1:4566/123456789012/other',
    );
  });

  it('splits a batch delete into one call per key pattern, and names document commands by their operation', () => {
    const params = authorisationParams({
      Bucket: 'logvault-local-archive',
      Delete: { Objects: [{ Key: 'archive/a', VersionId: 'v1' }, { Key: 'expiry/b' }] },
    });
    const calls = reduceCall(
      { kind: 'call', principal: 'R', service: 'S3', operation: 'DeleteObjects', params },
      names,
    );
    expect(calls.map((c) => [c.key, c.with])).toEqual([
      ['archive/*', ['versionId']],
      ['expiry/*', undefined],
    ]);
    const put = reduceCall(
      { kind: 'call', principal: 'R', service: 'DynamoDB', operation: 'Put', params: {} },
      names,
    );
    expect(put[0]?.call).toBe('dynamodb:PutItem');
  });

  it('finds the calls a reviewed list lacks, ignoring order and duplicates', () => {
    const a = { principal: 'R', call: 's3:GetObject', resource: 'ArchiveBucket', key: 'archive/*' };
    const b = { principal: 'R', call: 'sqs:SendMessage', resource: 'ArchiveQueue' };
    expect(normalise([b, a, b])).toEqual([a, b]);
    expect(missingFrom([a], [b, a])).toEqual([b]);
  });
});
