import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { abortLeftoverUploads, writeArchive } from '#shared/archive/upload.ts';
import { DeadlineError } from '#shared/errors.ts';

const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
const mock = mockClient(s3);
const base = {
  bucket: 'archive',
  key: 'archive/x/2026-01-01/a.log.0123456789abcdef.lv',
  metadata: {},
  kmsKeyArn: 'arn:aws:kms:us-east-1:1:key/k',
  storageClassFor: () => 'STANDARD' as const,
};
const big = () =>
  Readable.from(
    (function* () {
      for (let i = 0; i < 20; i++) yield randomBytes(1024 * 1024);
    })(),
  );

beforeEach(() => {
  mock.reset();
  mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u1' });
  mock.on(AbortMultipartUploadCommand).resolves({});
  mock.on(CompleteMultipartUploadCommand).resolves({});
});

describe('writeArchive', () => {
  it('aborts the multipart upload when a part fails, and never completes it', async () => {
    mock
      .on(UploadPartCommand)
      .resolvesOnce({ ETag: '"p1"' })
      .rejects(
        new S3ServiceException({
          name: 'InternalError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500 },
        }),
      );
    await expect(writeArchive(s3, { ...base, body: big() })).rejects.toThrow();
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts when the body fails mid-stream (a failed digest check), and never completes', async () => {
    mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    const failing = Readable.from(
      (async function* () {
        for (let i = 0; i < 12; i++) yield randomBytes(1024 * 1024);
        throw new Error('SHA-256 mismatch');
      })(),
    );
    await expect(writeArchive(s3, { ...base, body: failing })).rejects.toThrow('SHA-256 mismatch');
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
  });

  it('reports a lost conditional-write race as an existing archive', async () => {
    mock.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
      }),
    );
    await expect(writeArchive(s3, { ...base, body: Readable.from([Buffer.from('small')]) })).resolves.toBe(
      'exists',
    );
    expect(mock.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      IfNoneMatch: '*',
      ServerSideEncryption: 'aws:kms',
      BucketKeyEnabled: true,
    });
  });

  it('sends If-None-Match: * with the CompleteMultipartUpload of a large archive, which is what makes it write-once', async () => {
    mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    await expect(writeArchive(s3, { ...base, body: big() })).resolves.toBe('written');
    const [complete, ...more] = mock.commandCalls(CompleteMultipartUploadCommand);
    expect(more).toEqual([]);
    expect(complete?.args[0].input).toMatchObject({ Bucket: base.bucket, Key: base.key, IfNoneMatch: '*' });
  });

  it('reports a multipart upload whose completion lost the race as an existing archive', async () => {
    mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    mock.on(CompleteMultipartUploadCommand).rejects(
      new S3ServiceException({
        name: 'PreconditionFailed',
        $fault: 'client',
        $metadata: { httpStatusCode: 412 },
      }),
    );
    await expect(writeArchive(s3, { ...base, body: big() })).resolves.toBe('exists');
  });

  it('reports a multipart upload aborted under it (by a duplicate that completed first) as gone, never completing it', async () => {
    const gone = new S3ServiceException({
      name: 'NoSuchUpload',
      $fault: 'client',
      $metadata: { httpStatusCode: 404 },
    });
    mock.on(UploadPartCommand).resolvesOnce({ ETag: '"p1"' }).rejects(gone);
    mock.on(AbortMultipartUploadCommand).rejects(gone);
    await expect(writeArchive(s3, { ...base, body: big() })).resolves.toBe('upload-gone');
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('aborts the multipart upload, and never completes it, when the deadline signal fires mid-stream', async () => {
    mock.on(UploadPartCommand).resolves({ ETag: '"p"' });
    const deadline = new AbortController();
    const slow = Readable.from(
      (async function* () {
        for (let i = 0; i < 40; i++) {
          if (i === 12) deadline.abort(new DeadlineError('near the deadline'));
          yield randomBytes(1024 * 1024);
          await new Promise((r) => setTimeout(r, 5));
        }
      })(),
    );
    await expect(writeArchive(s3, { ...base, body: slow, signal: deadline.signal })).rejects.toThrow(
      DeadlineError,
    );
    expect(mock.commandCalls(CreateMultipartUploadCommand)).toHaveLength(1);
    expect(mock.commandCalls(AbortMultipartUploadCommand)).toHaveLength(1);
    expect(mock.commandCalls(CompleteMultipartUploadCommand)).toHaveLength(0);
  });

  it('writes nothing once the deadline has passed', async () => {
    const deadline = new AbortController();
    deadline.abort(new DeadlineError('past the deadline'));
    await expect(
      writeArchive(s3, { ...base, body: Readable.from([Buffer.from('small')]), signal: deadline.signal }),
    ).rejects.toThrow(DeadlineError);
    expect(mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });
});

describe('abortLeftoverUploads', () => {
  it('aborts the open uploads of exactly that key, and tolerates one already gone', async () => {
    mock.on(ListMultipartUploadsCommand).resolves({
      Uploads: [
        { Key: base.key, UploadId: 'dead-1' },
        { Key: base.key, UploadId: 'dead-2' },
        { Key: `${base.key}.other`, UploadId: 'someone-else' },
      ],
    });
    mock.on(AbortMultipartUploadCommand, { UploadId: 'dead-2' }).rejects(
      new S3ServiceException({
        name: 'NoSuchUpload',
        $fault: 'client',
        $metadata: { httpStatusCode: 404 },
      }),
    );
    await expect(abortLeftoverUploads(s3, base.bucket, base.key)).resolves.toBe(2);
    expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).toEqual([
      'dead-1',
      'dead-2',
    ]);
  });
});
