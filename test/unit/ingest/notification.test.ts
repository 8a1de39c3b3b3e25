import { describe, expect, it } from 'vitest';
import { PoisonMessageError } from '#shared/errors.ts';
import { decodeEventKey, uploadedObjects } from '#shared/ingest/notification.ts';
import { planArchiveJobs } from '#shared/ingest/plan-jobs.ts';
import { policies } from '#shared/policies.ts';
import { s3Notification } from '../../helpers/events.ts';

describe('decodeEventKey', () => {
  it.each([
    ['in%2Fa+file.txt', 'in/a file.txt'],
    ['app%2Fc%2B%2B+build%25.log', 'app/c++ build%.log'],
    ['i-1%2F%E6%97%A5%E5%BF%97%2F%CE%B4.log', 'i-1/日志/δ.log'],
    ['deep%2Fa%2Fb%2Fc%2Fd.log', 'deep/a/b/c/d.log'],
  ])('decodes %s', (encoded, decoded) => {
    expect(decodeEventKey(encoded)).toBe(decoded);
  });

  it('refuses malformed percent-encoding as a poison message', () => {
    expect(() => decodeEventKey('bad%E0%A4%A')).toThrow(PoisonMessageError);
  });
});

describe('uploadedObjects', () => {
  it('reads the bucket, decoded key, size and eTag of a created object', () => {
    const [obj] = uploadedObjects(s3Notification('ingest-bucket', 'web/a b+c.log'));
    expect(obj).toMatchObject({ bucket: 'ingest-bucket', key: 'web/a b+c.log', size: 184662 });
  });

  it('ignores the s3:TestEvent S3 sends when notifications are configured', () => {
    expect(
      uploadedObjects(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'b' })),
    ).toEqual([]);
  });

  it('ignores folder keys and delete events', () => {
    expect(uploadedObjects(s3Notification('b-1', 'web/folder/'))).toEqual([]);
    expect(uploadedObjects(s3Notification('b-1', 'web/x.log', 'ObjectRemoved:Delete'))).toEqual([]);
  });

  it.each([
    ['not JSON', '{"Records": ['],
    ['not an S3 event', '{"hello": "world"}'],
    [
      'a record without a key',
      JSON.stringify({
        Records: [
          {
            eventName: 'ObjectCreated:Put',
            eventTime: '2026-01-01T00:00:00Z',
            s3: { bucket: { name: 'abc' }, object: {} },
          },
        ],
      }),
    ],
  ])('treats %s as a poison message', (_what, body) => {
    expect(() => uploadedObjects(body)).toThrow(PoisonMessageError);
  });
});

describe('planArchiveJobs', () => {
  it('gives each object its source and policy', () => {
    const [job] = planArchiveJobs(s3Notification('b-1', 'i-0abc/var/log/messages'), policies);
    expect(job).toMatchObject({ source: 'i-0abc', policy: 'instances', key: 'i-0abc/var/log/messages' });
  });

  it('archives a key with no source folder under the default policy rather than dropping it', () => {
    const [job] = planArchiveJobs(s3Notification('b-1', 'stray.log'), policies);
    expect(job).toMatchObject({ source: '_unsourced', policy: policies.defaultPolicy.name });
  });
});
