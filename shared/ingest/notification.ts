import * as z from 'zod';
import { PoisonMessageError } from '../errors.ts';

/**
 * The parts of an S3 event notification that logvault reads. Deliberately looser than the full
 * AWS schema: the emulator omits `userIdentity`, `sequencer` and `versionId`, and none of those
 * decide anything here.
 */
const s3RecordSchema = z.object({
  eventName: z.string(),
  eventTime: z.iso.datetime({ offset: true }),
  s3: z.object({
    bucket: z.object({ name: z.string().min(3) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
    }),
  }),
});
const recordsSchema = z.object({ Records: z.array(s3RecordSchema) });
/** S3 sends one when a bucket's notifications are configured; it names no object. */
const testEventSchema = z.object({ Event: z.literal('s3:TestEvent') });
/** S3 → SNS → SQS without raw delivery wraps the notification in an SNS envelope. */
const snsEnvelopeSchema = z.object({ Type: z.literal('Notification'), Message: z.string() });

/** S3's limit on object key length, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

export interface UploadedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly eTag?: string;
  readonly versionId?: string;
  readonly eventTime: string;
}

/** Something in a notification that is deliberately not archived, and why. */
export interface SkippedEntry {
  readonly reason: string;
  readonly eventName?: string;
  readonly key?: string;
}

export interface Notification {
  readonly objects: UploadedObject[];
  readonly skipped: SkippedEntry[];
}

/**
 * Keys arrive form-encoded: `+` is a space and everything else is percent-encoded, `/` included.
 * `+` must become a space before percent-decoding, or a literal `+` (sent as `%2B`) would be lost.
 */
export function decodeEventKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new PoisonMessageError('object key in the notification is not valid percent-encoding');
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new PoisonMessageError(`${what} is not JSON`);
  }
}

type Parsed = z.output<typeof recordsSchema> | 'test-event';

function toNotification(json: unknown, what: string): Parsed {
  if (testEventSchema.safeParse(json).success) return 'test-event';
  const envelope = snsEnvelopeSchema.safeParse(json);
  if (envelope.success && what === 'message body')
    return toNotification(parseJson(envelope.data.Message, 'SNS message'), 'SNS message');
  const parsed = recordsSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues[0]?.path.join('.') || 'Records';
  throw new PoisonMessageError(`${what} is not an S3 notification (${where})`);
}

/**
 * Parses one SQS message body that carries an S3 notification (raw, or in an SNS envelope) into
 * the objects it created and what it deliberately skips: test events, non-create events and
 * "folder" keys. A body that is not an S3 notification at all is a poison message.
 */
export function readNotification(body: string): Notification {
  const notification = toNotification(parseJson(body, 'message body'), 'message body');
  if (notification === 'test-event') return { objects: [], skipped: [{ reason: 's3:TestEvent' }] };
  if (notification.Records.length === 0) return { objects: [], skipped: [{ reason: 'no records' }] };
  const objects: UploadedObject[] = [];
  const skipped: SkippedEntry[] = [];
  for (const record of notification.Records) {
    const { eventName } = record;
    if (!eventName.startsWith('ObjectCreated:')) {
      skipped.push({ reason: 'not an object creation', eventName });
      continue;
    }
    const key = decodeEventKey(record.s3.object.key);
    // S3 itself never sends one; an archive job for it would only be refused downstream.
    if (Buffer.byteLength(key) > MAX_KEY_BYTES)
      throw new PoisonMessageError(`object key is longer than S3 allows (${MAX_KEY_BYTES} bytes)`);
    if (key.endsWith('/')) {
      skipped.push({ reason: 'folder placeholder', eventName, key });
      continue;
    }
    const { size, eTag, versionId } = record.s3.object;
    objects.push({
      bucket: record.s3.bucket.name,
      key,
      eventTime: record.eventTime,
      ...(size !== undefined ? { size } : {}),
      ...(eTag ? { eTag } : {}),
      ...(versionId ? { versionId } : {}),
    });
  }
  return { objects, skipped };
}

/** The objects one notification body created; see {@link readNotification}. */
export function uploadedObjects(body: string): UploadedObject[] {
  return readNotification(body).objects;
}
