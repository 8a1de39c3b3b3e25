import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { batchMembers } from '#shared/archive/pack-sources.ts';
import {
  type BatchHeader,
  batchIdFor,
  batchMemberIds,
  batchObjectKey,
  encodeBatchPrefix,
  MalformedBatchError,
  parseBatchHeader,
  parseBatchObjectKey,
  readBatch,
  segmentBytes,
} from '#shared/segments/batch-format.ts';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const a = Buffer.from('line 1\nline 2\n');
const b = Buffer.from('other\n');
const gen = '20261126T073512Z-0a1b2c3d';

function header(overrides: Partial<BatchHeader> = {}): BatchHeader {
  return {
    v: 1,
    source: 'web',
    host: 'ip-10-0-0-1',
    batch: batchIdFor(new Date('2026-11-26T08:00:00Z'), 'x'),
    prev: null,
    createdAt: '2026-11-26T08:00:00.000Z',
    segments: [
      { path: '/var/log/app.log', generation: gen, start: 0, end: a.length, sha256: sha(a) },
      { path: '/var/log/b.log', generation: gen, start: 10, end: 10 + b.length, sha256: sha(b) },
    ],
    gaps: [{ path: '/var/log/app.log', generation: gen, start: 100, end: 200, reason: 'truncated' }],
    generations: [
      {
        path: '/var/log/app.log',
        generation: gen,
        firstSeen: '2026-11-26T07:35:12.000Z',
        through: a.length,
        closed: false,
        mode: 0o640,
      },
    ],
    ...overrides,
  };
}

/** Splits a body into chunks of `size`, so parsing is tested across every boundary. */
function chunked(body: Buffer, size: number): Readable {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) parts.push(body.subarray(i, i + size));
  return Readable.from(parts);
}

async function readAll(body: Readable) {
  const batch = await readBatch(body);
  const out: { path: string; bytes: Buffer }[] = [];
  for await (const { segment, chunks } of batch.segments()) {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(c);
    out.push({ path: segment.path, bytes: Buffer.concat(parts) });
  }
  return { batch, out };
}

describe('shipper batch format', () => {
  it('round-trips header and segments whatever the chunking', async () => {
    const h = header();
    const body = Buffer.concat([encodeBatchPrefix(h), a, b]);
    expect(segmentBytes(h)).toBe(a.length + b.length);
    for (const size of [1, 3, 7, 64, body.length]) {
      const { batch, out } = await readAll(chunked(body, size));
      expect(batch.header).toEqual(h);
      expect(batch.dataOffset).toBe(body.length - a.length - b.length);
      expect(out).toEqual([
        { path: '/var/log/app.log', bytes: a },
        { path: '/var/log/b.log', bytes: b },
      ]);
    }
  });

  it('skips what a reader leaves of a segment and still checks the end', async () => {
    const body = Buffer.concat([encodeBatchPrefix(header()), a, b]);
    const batch = await readBatch(chunked(body, 2));
    const seen: string[] = [];
    for await (const { segment } of batch.segments()) seen.push(segment.path);
    expect(seen).toEqual(['/var/log/app.log', '/var/log/b.log']);
  });

  it('refuses a segment whose bytes differ from its digest, a short body and trailing bytes', async () => {
    const tampered = Buffer.from(a);
    tampered[0] = 0x4c;
    await expect(
      readAll(chunked(Buffer.concat([encodeBatchPrefix(header()), tampered, b]), 5)),
    ).rejects.toThrow(/SHA-256/);
    await expect(readAll(chunked(Buffer.concat([encodeBatchPrefix(header()), a]), 5))).rejects.toThrow(
      /truncated/,
    );
    await expect(
      readAll(chunked(Buffer.concat([encodeBatchPrefix(header()), a, b, Buffer.from('x')]), 5)),
    ).rejects.toBeInstanceOf(MalformedBatchError);
  });

  it('refuses headers that are not batches, by name', async () => {
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('hello world\n'), /bad magic/],
      [Buffer.from('LVB1\n99999999999999\n'), /length/],
      [Buffer.from('LVB1\n5\n{"v":'), /truncated/],
      [Buffer.from('LVB1\n5\nnope!\n'), /not JSON/],
    ];
    for (const [body, message] of cases) await expect(readBatch(chunked(body, 4))).rejects.toThrow(message);
    const bad: Partial<BatchHeader>[] = [
      { segments: [{ path: 'relative.log', generation: gen, start: 0, end: 1, sha256: sha(a) }] },
      { segments: [{ path: '/a\0b', generation: gen, start: 0, end: 1, sha256: sha(a) }] },
      { segments: [{ path: '/a', generation: '../x', start: 0, end: 1, sha256: sha(a) }] },
      { segments: [{ path: '/a', generation: gen, start: 5, end: 5, sha256: sha(a) }] },
      { gaps: [{ path: '/a', generation: gen, start: 0, end: 1, reason: 'lost' as 'deleted' }] },
      { batch: 'not-a-batch' },
    ];
    for (const overrides of bad) {
      const json = Buffer.from(JSON.stringify(header(overrides)));
      const body = Buffer.concat([Buffer.from(`LVB1\n${json.length}\n`), json, Buffer.from('\n')]);
      await expect(readBatch(chunked(body, 16))).rejects.toBeInstanceOf(MalformedBatchError);
      expect(() => encodeBatchPrefix(header(overrides))).toThrow(MalformedBatchError);
    }
  });

  it('checks headers strictly, naming the field that is wrong', () => {
    const h = header();
    expect(parseBatchHeader(JSON.parse(JSON.stringify(h)))).toEqual(h);
    // Optional generation fields may be absent, never present as anything but their type.
    const bare = {
      ...h,
      generations: [{ path: '/a', generation: gen, firstSeen: h.createdAt, through: 0, closed: true }],
    };
    expect(parseBatchHeader(bare)).toEqual(bare);
    const cases: [unknown, string][] = [
      [{ ...h, extra: 1 }, 'batch header invalid at extra: is not a known field'],
      [{ ...h, v: 2 }, 'at v: must be 1'],
      [{ ...h, source: '' }, 'at source: must be at least 1 characters'],
      [{ ...h, createdAt: '2026-11-26 08:00' }, 'at createdAt: must be an ISO date-time in UTC'],
      [{ ...h, segments: [{ ...h.segments[0], start: 1.5 }] }, 'at segments.0.start: must be a whole number'],
      [
        { ...h, generations: [{ ...h.generations[0], mode: 0o10000 }] },
        'at generations.0.mode: must be a whole number from 0 to 4095',
      ],
      [{ ...h, gaps: 'none' }, 'at gaps: must be an array'],
      [JSON.parse(JSON.stringify({ ...h, prev: undefined })), 'at prev: is required'],
      [null, 'at header: must be an object'],
    ];
    for (const [value, message] of cases) {
      expect(() => parseBatchHeader(value)).toThrow(MalformedBatchError);
      expect(() => parseBatchHeader(value)).toThrow(message);
    }
  });

  it('names batch objects under the shipper prefix and reads the key back', () => {
    const id = batchIdFor(new Date('2026-11-26T08:00:00Z'), 'descriptor');
    expect(id).toMatch(/^20261126T080000Z-[0-9a-f]{16}$/);
    expect(batchIdFor(new Date('2026-11-26T08:00:00Z'), 'descriptor')).toBe(id);
    const key = batchObjectKey('AROAEXAMPLE:i-0abc', id);
    expect(key).toBe(`AROAEXAMPLE:i-0abc/_logvault/ship/${id}.lvb`);
    expect(parseBatchObjectKey(key)).toEqual({ prefix: 'AROAEXAMPLE:i-0abc', batchId: id });
    for (const other of [
      'web/app.log',
      `web/_logvault/ship/${id}.lvb.1`,
      `web/x/_logvault/ship/${id}.lvb`,
      `_logvault/ship/${id}.lvb`,
    ]) {
      expect(parseBatchObjectKey(other)).toBeUndefined();
    }
  });
});

describe('batchMemberIds', () => {
  it('names each segment and gap by the id the archive function records it under', async () => {
    const h = header();
    const key = batchObjectKey('web', h.batch);
    const body = Buffer.concat([encodeBatchPrefix(h), a, b]);
    const { members } = await batchMembers({ bucket: 'ingest', key }, 'web', Readable.from([body]));
    expect(batchMemberIds(h)).toEqual(members.map((m) => m.description.id));
    expect(new Set(batchMemberIds(h)).size).toBe(3);
  });
});
