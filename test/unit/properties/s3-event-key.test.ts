import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseArchiveJob } from '#shared/archive/archive-record.ts';
import { isReservedSource, splitSourceKey } from '#shared/archive/layout.ts';
import { PoisonMessageError } from '#shared/errors.ts';
import { decodeEventKey, MAX_KEY_BYTES, readNotification } from '#shared/ingest/notification.ts';
import { planIngest } from '#shared/ingest/plan-jobs.ts';
import { s3Notification } from '../../helpers/events.ts';

/** Code points, biased towards what form-encoding treats specially, plus any Unicode scalar. */
const keyUnit = fc.oneof(
  fc.constantFrom(
    '+',
    '%',
    ' ',
    '/',
    '%2B',
    '%20',
    '%%',
    '+%',
    '~',
    '*',
    "'",
    '&=?#',
    'é',
    '日志',
    '😀',
    '\u0000',
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 4 }),
);

/** Drops trailing code points until the key fits S3's limit of 1024 UTF-8 bytes. */
function fitS3(key: string): string {
  const points = [...key];
  while (Buffer.byteLength(points.join('')) > MAX_KEY_BYTES) points.pop();
  return points.join('');
}

/** Any S3 object key: non-empty, any Unicode, at most 1024 bytes. */
const s3Key = fc
  .oneof(
    fc.array(keyUnit, { minLength: 1, maxLength: 60 }).map((units) => units.join('')),
    // Long keys, up to and at the byte limit.
    fc.string({ unit: 'binary', minLength: 250, maxLength: 1100 }),
  )
  .map(fitS3)
  .filter((k) => k.length > 0);

const UNRESERVED = /^[A-Za-z0-9_.~-]$/;

/**
 * Encodes a key the way S3 event notifications do (application/x-www-form-urlencoded: a space is
 * `+`, everything outside the unreserved set is percent-encoded as UTF-8). `literal` decides,
 * character by character, whether a printable ASCII character that form-decoding would read back
 * unchanged is sent as is instead: AWS leaves `/` alone where moto encodes it, and both are valid.
 */
function formEncode(key: string, literal: (i: number) => boolean, lowerHex: boolean): string {
  return [...key]
    .map((ch, i) => {
      if (ch === ' ') return '+';
      if (UNRESERVED.test(ch)) return ch;
      const safeLiteral = /^[\x21-\x7e]$/.test(ch) && ch !== '%' && ch !== '+';
      if (safeLiteral && literal(i)) return ch;
      const hex = [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
      return lowerHex ? hex : hex.toUpperCase();
    })
    .join('');
}

/** Python's quote_plus, which moto uses: `/` encoded too. */
const quotePlus = (key: string) => formEncode(key, () => false, false);

const encoding = fc.record({
  literal: fc.func(fc.boolean()),
  lowerHex: fc.boolean(),
});

describe('S3 event keys (property)', () => {
  it('decodes any key, encoded as moto or S3 would, back to exactly that key', () => {
    fc.assert(
      fc.property(s3Key, encoding, (key, { literal, lowerHex }) => {
        expect(decodeEventKey(quotePlus(key))).toBe(key);
        expect(decodeEventKey(formEncode(key, literal, lowerHex))).toBe(key);
        // The test helper encodes as encodeURIComponent does; that must decode too.
        expect(decodeEventKey(encodeURIComponent(key).replace(/%20/g, '+'))).toBe(key);
      }),
    );
  });

  it('reads the exact key, bucket and size from a notification, or skips a folder key', () => {
    fc.assert(
      fc.property(s3Key, fc.nat(), (key, size) => {
        const body = JSON.parse(s3Notification('ingest-bucket', 'placeholder')) as {
          Records: { s3: { object: { key: string; size: number } } }[];
        };
        const record = body.Records[0] as { s3: { object: { key: string; size: number } } };
        record.s3.object.key = quotePlus(key);
        record.s3.object.size = size;
        const { objects, skipped } = readNotification(JSON.stringify(body));
        if (key.endsWith('/')) {
          expect(objects).toEqual([]);
          expect(skipped).toEqual([expect.objectContaining({ reason: 'folder placeholder', key })]);
        } else {
          expect(objects).toEqual([expect.objectContaining({ bucket: 'ingest-bucket', key, size })]);
        }
      }),
    );
  });

  it('plans archive jobs that the archive function accepts unchanged', () => {
    fc.assert(
      fc.property(s3Key, (key) => {
        // Keys under a reserved source name are refused instead (test/unit/archive/admit-job.test.ts).
        fc.pre(!isReservedSource(splitSourceKey(key).source));
        const { jobs } = planIngest(s3Notification('ingest-bucket', key), 'ingest-bucket');
        for (const job of jobs) {
          expect(parseArchiveJob(JSON.stringify(job))).toEqual(job);
          expect(job.key).toBe(key);
        }
        expect(jobs).toHaveLength(key.endsWith('/') ? 0 : 1);
      }),
    );
  });

  it('refuses a key over 1024 bytes as a poison message naming the limit', () => {
    const tooLong = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 40 })
      .map((tail) => `${'k'.repeat(MAX_KEY_BYTES)}${tail}`);
    fc.assert(
      fc.property(tooLong, (key) => {
        expect(() => readNotification(s3Notification('ingest-bucket', key))).toThrow(
          /longer than S3 allows \(1024 bytes\)/,
        );
      }),
    );
  });

  it('decodes any string or refuses it as a poison message, never with another error', () => {
    const encoded = fc.oneof(
      fc.string({ unit: fc.constantFrom('%', '+', 'A', 'f', '0', 'G', 'é', '%E0', '%A4', '%C3') }),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(encoded, (text) => {
        try {
          const key = decodeEventKey(text);
          // Whatever decodes must re-encode to something that decodes to it again.
          expect(decodeEventKey(quotePlus(key))).toBe(key);
        } catch (error) {
          expect(error).toBeInstanceOf(PoisonMessageError);
        }
      }),
    );
  });

  it('parses any message body or refuses it as a poison message, never with another error', () => {
    const bodies = fc.oneof(
      fc.string(),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify({ Records: [v] })),
      fc.jsonValue().map((v) => JSON.stringify({ Type: 'Notification', Message: JSON.stringify(v) })),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        try {
          const { objects } = readNotification(body);
          for (const o of objects) expect(Buffer.byteLength(o.key)).toBeLessThanOrEqual(MAX_KEY_BYTES);
        } catch (error) {
          expect(error).toBeInstanceOf(PoisonMessageError);
        }
      }),
    );
  });
});
