import { ListObjectsV2Command, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { listArchives } from '#shared/archive/list.ts';
import { decodeListed } from '#shared/clients/s3-list.ts';
import { indexEntries } from '#shared/sweep/expiry-index.ts';

// The emulator ignores EncodingType on ListObjectVersions, so S3's documented answers are mocked.
const s3Mock = mockClient(S3Client);
beforeEach(() => s3Mock.reset());

/** How S3 url-encodes a key in a listing: percent-encoding, a space as `+`, `/` kept. */
const s3Encode = (key: string) => encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+');

const archiveKey = 'archive/web/2026-11-24/cr\rlf a+b%.log.0123456789abcdef.lv';

describe('listings ask S3 to url-encode keys and decode them', () => {
  it('decodes as S3 encodes, a plus being a space', () => {
    expect(decodeListed(s3Encode('a b+c%\r\x01/ü'))).toBe('a b+c%\r\x01/ü');
    expect(decodeListed('a%20b')).toBe('a b');
  });

  it('gives the archive listing the exact key', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({
      EncodingType: 'url',
      Contents: [{ Key: s3Encode(archiveKey), Size: 3 }],
    });
    const listed = [];
    for await (const e of listArchives(new S3Client({}), 'b', { source: 'web' })) listed.push(e.archiveKey);
    expect(listed).toEqual([archiveKey]);
    expect(s3Mock.commandCalls(ListObjectsV2Command)[0]?.args[0].input.EncodingType).toBe('url');
  });

  it("gives the sweeper the index entry's exact key, and pages on from the decoded marker", async () => {
    const indexKey = `expiry/2026-12-01/${archiveKey}`;
    s3Mock
      .on(ListObjectVersionsCommand)
      .resolvesOnce({
        EncodingType: 'url',
        IsTruncated: true,
        Versions: [{ Key: s3Encode(indexKey), VersionId: 'v1' }],
        NextKeyMarker: s3Encode(indexKey),
        NextVersionIdMarker: 'v1',
      })
      .resolvesOnce({ EncodingType: 'url', Versions: [{ Key: s3Encode(indexKey), VersionId: 'v2' }] });
    const pages = [];
    for await (const page of indexEntries(new S3Client({}), 'b', 'expiry/2026-12-01/')) pages.push(...page);
    expect(pages).toEqual([{ indexKey, archiveKey, versionIds: ['v1', 'v2'] }]);
    const calls = s3Mock.commandCalls(ListObjectVersionsCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => c.EncodingType)).toEqual(['url', 'url']);
    expect(calls[1]?.KeyMarker).toBe(indexKey);
  });

  it('leaves keys alone when the answer says they are not encoded', async () => {
    s3Mock
      .on(ListObjectsV2Command)
      .resolves({ Contents: [{ Key: 'archive/web/2026-11-24/a%20b.0123456789abcdef.lv' }] });
    const listed = [];
    for await (const e of listArchives(new S3Client({}), 'b')) listed.push(e.archiveKey);
    expect(listed).toEqual(['archive/web/2026-11-24/a%20b.0123456789abcdef.lv']);
  });
});
