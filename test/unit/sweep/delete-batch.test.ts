import { DeleteObjectCommand, DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { chunk, DELETE_BATCH, deleteVersions, xmlUnsafe } from '#shared/sweep/delete-batch.ts';

const s3Mock = mockClient(S3Client);
beforeEach(() => s3Mock.reset());

const refs = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, VersionId: `v${i}` }));

describe('chunk', () => {
  it('splits into chunks of at most the given size', () => {
    expect(chunk(refs(2501), DELETE_BATCH).map((c) => c.length)).toEqual([1000, 1000, 501]);
    expect(chunk([], DELETE_BATCH)).toEqual([]);
  });
});

describe('deleteVersions', () => {
  it('sends ≤1000 exact versions per call and reports per-key errors without losing the rest', async () => {
    s3Mock.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => ({
      Errors: input.Delete.Objects.filter((o) => o.Key === 'k1500').map((o) => ({
        ...o,
        Code: 'AccessDenied',
        Message: 'locked',
      })),
    }));
    const res = await deleteVersions(new S3Client({}), 'b', refs(2001));
    const calls = s3Mock.commandCalls(DeleteObjectsCommand);
    expect(calls.map((c) => c.args[0].input.Delete?.Objects?.length)).toEqual([1000, 1000, 1]);
    expect(calls[0]?.args[0].input.Delete?.Objects?.[0]).toEqual({ Key: 'k0', VersionId: 'v0' });
    expect(res.failed).toEqual([
      { key: 'k1500', versionId: 'v1500', code: 'AccessDenied', message: 'locked' },
    ]);
    expect(res.deleted).toHaveLength(2000);
  });
  it('treats an error without a VersionId as failing that key', async () => {
    s3Mock
      .on(DeleteObjectsCommand)
      .resolves({ Errors: [{ Key: 'k1', Code: 'AccessDenied', Message: 'locked' }] });
    const res = await deleteVersions(new S3Client({}), 'b', refs(3));
    expect(res.failed).toEqual([{ key: 'k1', versionId: 'v1', code: 'AccessDenied', message: 'locked' }]);
    expect(res.deleted.map((r) => r.Key)).toEqual(['k0', 'k2']);
  });
  it('fails every key of a call that fails as a whole, and carries on with the next call', async () => {
    s3Mock.on(DeleteObjectsCommand).rejectsOnce(new Error('boom')).resolves({});
    const res = await deleteVersions(new S3Client({}), 'b', refs(1200));
    expect(res.failed).toHaveLength(1000);
    expect(res.deleted).toHaveLength(200);
  });
  it('deletes keys XML cannot carry one at a time, so they never fail a batch', async () => {
    // What S3 does with a body holding such a key: the whole call fails.
    s3Mock.on(DeleteObjectsCommand).callsFake((input: { Delete: { Objects: { Key: string }[] } }) => {
      if (input.Delete.Objects.some((o) => xmlUnsafe(o.Key))) throw new Error('MalformedXML');
      return {};
    });
    s3Mock.on(DeleteObjectCommand).resolves({});
    const odd = ['k\x01', 'k\x1b[31m', 'k\r'].map((Key, i) => ({ Key, VersionId: `o${i}` }));
    const res = await deleteVersions(new S3Client({}), 'b', [...refs(3), ...odd]);
    expect(res.failed).toEqual([]);
    expect(res.deleted).toHaveLength(6);
    expect(s3Mock.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual(
      odd.map((o) => ({ Bucket: 'b', Key: o.Key, VersionId: o.VersionId })),
    );
    expect(s3Mock.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects).toEqual(refs(3));
  });

  it('reports a failed single delete as that key alone', async () => {
    s3Mock.on(DeleteObjectsCommand).resolves({});
    s3Mock.on(DeleteObjectCommand).rejects(Object.assign(new Error('locked'), { name: 'AccessDenied' }));
    const res = await deleteVersions(new S3Client({}), 'b', [...refs(2), { Key: 'k\x01', VersionId: 'o' }]);
    expect(res.failed).toEqual([{ key: 'k\x01', versionId: 'o', code: 'AccessDenied', message: 'locked' }]);
    expect(res.deleted.map((r) => r.Key)).toEqual(['k0', 'k1']);
  });
});
