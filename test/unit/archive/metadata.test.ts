import { describe, expect, it } from 'vitest';
import {
  type ArchiveMetadata,
  CONTEXT,
  fromContext,
  fromS3Metadata,
  toS3Metadata,
} from '#shared/archive/metadata.ts';
import { IntegrityError } from '#shared/errors.ts';

const meta: ArchiveMetadata = {
  source: 'web',
  sourceBucket: 'ingest',
  sourceKey: 'web/ünï/a b+c%.log',
  sourceRevision: 'v/1',
  sourceETag: 'abc',
  sourceSize: 123,
  sourceModified: '2026-11-24T10:00:00.000Z',
  sha256: 'ab'.repeat(32),
  codec: 'zstd',
  policy: 'standard',
  archivedAt: '2026-11-24T10:00:05.000Z',
  expires: 'never',
};

describe('archive metadata', () => {
  it('reads back what it writes', () => {
    expect(fromS3Metadata(toS3Metadata(meta))).toEqual({ ...meta, unreadable: [] });
  });

  it('leaves out a key too long for metadata without calling the rest unreadable', () => {
    const long = { ...meta, sourceKey: `web/${'x'.repeat(2000)}` };
    const { sourceKey: _, ...rest } = long;
    expect(fromS3Metadata(toS3Metadata(long))).toEqual({ ...rest, unreadable: [] });
  });

  it('reads each field on its own: a malformed one is named and never costs the others', () => {
    const raw = {
      ...toS3Metadata(meta),
      'lv-source-key': '%E0%A4%A',
      'lv-source-size': 'lots',
      'lv-sha256': 'not-a-digest',
      'lv-codec': 'brotli',
      'lv-expires': 'someday',
    };
    delete (raw as Record<string, string>)['lv-policy'];
    const read = fromS3Metadata(raw);
    expect(read?.unreadable).toEqual([
      'lv-source-key',
      'lv-source-size',
      'lv-sha256',
      'lv-codec',
      'lv-policy',
      'lv-expires',
    ]);
    expect(read).toMatchObject({
      source: 'web',
      sourceBucket: 'ingest',
      sourceModified: meta.sourceModified,
      archivedAt: meta.archivedAt,
    });
    expect(read?.sourceKey).toBeUndefined();
  });

  it('is not a logvault archive without its layout marker', () => {
    expect(fromS3Metadata({ 'lv-source': 'web' })).toBeUndefined();
    expect(fromS3Metadata(undefined)).toBeUndefined();
  });
});

describe('encryption context', () => {
  const context = {
    [CONTEXT.source]: 'web',
    [CONTEXT.bucket]: 'ingest',
    [CONTEXT.key]: 'web/a.log',
    [CONTEXT.version]: 'v1',
    [CONTEXT.sha256]: 'ab'.repeat(32),
    [CONTEXT.codec]: 'gzip',
    [CONTEXT.modified]: '2026-11-24T10:00:00.000Z',
  };

  it('reads the authenticated modification time, and does without it for older archives', () => {
    expect(fromContext('k', context)).toEqual({
      source: 'web',
      bucket: 'ingest',
      key: 'web/a.log',
      sha256: 'ab'.repeat(32),
      codec: 'gzip',
      modified: new Date('2026-11-24T10:00:00Z'),
    });
    const { [CONTEXT.modified]: _, ...older } = context;
    expect(fromContext('k', older).modified).toBeUndefined();
  });

  it('refuses a context that lacks an entry or holds a malformed one', () => {
    const { [CONTEXT.sha256]: _, ...noDigest } = context;
    expect(() => fromContext('k', noDigest)).toThrow(IntegrityError);
    expect(() => fromContext('k', { ...context, [CONTEXT.modified]: 'yesterday' })).toThrow(/malformed/);
    expect(() => fromContext('k', { ...context, [CONTEXT.codec]: 'brotli' })).toThrow(/codec/);
  });
});
