import { describe, expect, it } from 'vitest';
import { PoisonMessageError, RefusedMessageError } from '#shared/errors.ts';
import { decodeEventKey, uploadedObjects } from '#shared/ingest/notification.ts';
import { planIngest } from '#shared/ingest/plan-jobs.ts';
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

describe('planIngest', () => {
  it('names the object alone: its source and policy are decided when it is archived', () => {
    const { jobs } = planIngest(s3Notification('b-1', 'i-0abc/var/log/messages'), 'b-1');
    expect(jobs).toEqual([
      {
        bucket: 'b-1',
        key: 'i-0abc/var/log/messages',
        eventTime: expect.any(String),
        eTag: expect.any(String),
        size: expect.any(Number),
        versionId: expect.any(String),
      },
    ]);
  });

  it('plans a key with no source folder rather than dropping it', () => {
    const { jobs } = planIngest(s3Notification('b-1', 'stray.log'), 'b-1');
    expect(jobs.map((j) => j.key)).toEqual(['stray.log']);
  });

  const refusalOf = (body: string) => {
    try {
      planIngest(body, 'b-1');
    } catch (error) {
      return error;
    }
    throw new Error('not refused');
  };

  it('refuses a notification naming a bucket other than the ingest bucket, whole', () => {
    const records = (bucket: string, key: string) =>
      (JSON.parse(s3Notification(bucket, key)) as { Records: unknown[] }).Records;
    const mixed = JSON.stringify({
      Records: [...records('b-1', 'web/a.log'), ...records('other', 'web/b.log')],
    });
    for (const forged of [s3Notification('someone-elses-bucket', 'web/a.log'), mixed]) {
      const error = refusalOf(forged);
      expect(error).toBeInstanceOf(RefusedMessageError);
      expect(error).toMatchObject({ reason: 'foreign-bucket' });
    }
  });

  it.each([
    'archive/web/2026-11-24/a.log.0123456789abcdef.lv',
    'expiry/2026-11-24/x',
    '_logvault/sweeper/state.json',
  ])('refuses a notification for the reserved key %s', (key) => {
    const error = refusalOf(s3Notification('b-1', key));
    expect(error).toBeInstanceOf(RefusedMessageError);
    expect(error).toMatchObject({ reason: 'reserved-key' });
  });
});
