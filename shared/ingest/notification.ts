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
const notificationSchema = z.union([
  z.object({ Records: z.array(s3RecordSchema) }),
  z.object({ Event: z.literal('s3:TestEvent') }),
]);

export interface UploadedObject {
  readonly bucket: string;
  readonly key: string;
  readonly size?: number;
  readonly eTag?: string;
  readonly versionId?: string;
  readonly eventTime: string;
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

/**
 * Parses one SQS message body that carries an S3 notification into the objects it created.
 * Test events, delete events and "folder" keys give nothing; a body that is not an S3
 * notification at all is a poison message.
 */
export function uploadedObjects(body: string): UploadedObject[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new PoisonMessageError('message body is not JSON');
  }
  const parsed = notificationSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw new PoisonMessageError(`message body is not an S3 notification (${where})`);
  }
  if (!('Records' in parsed.data)) return [];
  return parsed.data.Records.filter((r) => r.eventName.startsWith('ObjectCreated:'))
    .map((r) => ({ record: r, key: decodeEventKey(r.s3.object.key) }))
    .filter(({ key }) => !key.endsWith('/'))
    .map(({ record, key }) => ({
      bucket: record.s3.bucket.name,
      key,
      eventTime: record.eventTime,
      ...(record.s3.object.size !== undefined ? { size: record.s3.object.size } : {}),
      ...(record.s3.object.eTag ? { eTag: record.s3.object.eTag } : {}),
      ...(record.s3.object.versionId ? { versionId: record.s3.object.versionId } : {}),
    }));
}
