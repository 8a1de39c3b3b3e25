import * as z from 'zod';
import { keyedRecord } from '../keyed-record.ts';
import {
  MAX_OBJECT_LOCK_DAYS,
  MAX_POLICY_DAYS,
  MAX_POLICY_MONTHS,
  MAX_POLICY_WEEKS,
  MAX_PRIORITY,
} from './limits.ts';
import { STORAGE_CLASSES } from './storage-classes.ts';

// Schema-level messages win over the generic ones in format-issues.ts; a missing field still says so.
const rule = (message: string) => (issue: { input: unknown }) =>
  issue.input === undefined ? 'is required' : message;

/**
 * A whole number from 1 to `max`. Past `max` the message names the limit and why it exists; the
 * checks stop at the first failure, so a huge or fractional number gets one message, not two.
 */
const positiveInt = (max: number, why: string) => {
  const positive = rule('must be a positive integer');
  return z
    .number({ error: positive })
    .max(max, { error: rule(`must be at most ${max} (${why})`), abort: true })
    .int({ error: positive, abort: true })
    .min(1, { error: positive });
};
const THOUSAND_YEARS =
  'about 1,000 years, the longest span a policy may count: expiry dates must stay within the year 9999';
const retentionDays = () => positiveInt(MAX_POLICY_DAYS, THOUSAND_YEARS);

/** S3 storage classes a policy may write to or transition to. */
export const storageClassSchema = z.enum(STORAGE_CLASSES);
/** One of the storage classes in {@link storageClassSchema}. */
export type StorageClass = z.output<typeof storageClassSchema>;

/** Compression wish; the level defaults to the codec's usual trade-off (zstd 3, gzip 6). */
export const codecSpecSchema = z.discriminatedUnion(
  'name',
  [
    z.strictObject({
      name: z.literal('zstd'),
      level: z
        .int({ error: rule('must be an integer from 1 to 19') })
        .min(1)
        .max(19)
        .default(3),
    }),
    z.strictObject({
      name: z.literal('gzip'),
      level: z
        .int({ error: rule('must be an integer from 1 to 9') })
        .min(1)
        .max(9)
        .default(6),
    }),
  ],
  { error: rule('must be "zstd" or "gzip"') },
);
/** Codec and level after defaults: what `chooseCodec` expects. */
export type CodecSpec = z.output<typeof codecSpecSchema>;

/** Grandfather-father-son: every object is a daily; Sunday objects are also weeklies, 1st-of-month ones monthlies. */
export const gfsSchema = z.strictObject({
  dailyDays: retentionDays(),
  weeklyWeeks: positiveInt(MAX_POLICY_WEEKS, THOUSAND_YEARS),
  monthlyMonths: positiveInt(MAX_POLICY_MONTHS, THOUSAND_YEARS),
});

/** Exactly one of: a number of days, forever, or a GFS rotation. */
export const retentionSchema = z.union(
  [
    z.strictObject({ days: retentionDays() }),
    z.strictObject({
      keepForever: z.literal(true, { error: rule('must be true (omit retention.keepForever otherwise)') }),
    }),
    z.strictObject({ gfs: gfsSchema }),
  ],
  { error: rule('must be exactly one of { "days": n }, { "keepForever": true } or { "gfs": {...} }') },
);
/** A policy's retention, discriminated by which key it has. */
export type Retention = z.output<typeof retentionSchema>;

/** A lifecycle transition: after `days` days, S3 moves the object to `class`. */
export const transitionSchema = z.strictObject({
  days: retentionDays(),
  class: storageClassSchema,
});

/** Where objects are written and how they move to colder classes as they age. */
export const storageSchema = z.strictObject({
  // Small objects are written STANDARD whatever this says: see storageClassAtWrite.
  class: storageClassSchema,
  transitions: z.array(transitionSchema).default([]),
});

/** Which sources a policy applies to. */
export const matchSchema = z.strictObject({
  sources: z
    .array(z.string().min(1, { error: 'must not be empty' }))
    .min(1, { error: rule('must list at least one glob') }),
  tags: keyedRecord(z.string().min(1), z.string(), 'a tag name').optional(),
});

/** S3 Object Lock retention applied to each archive at write. */
export const objectLockSchema = z.strictObject({
  mode: z.enum(['GOVERNANCE', 'COMPLIANCE']),
  days: positiveInt(MAX_OBJECT_LOCK_DAYS, 'S3 Object Lock retains for at most 100 years'),
});

const priorityRange = rule(`must be from -${MAX_PRIORITY} to ${MAX_PRIORITY}`);

/** One archive policy. */
export const policySchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9-]{1,32}$/, { error: 'must be 1 to 32 characters of a-z, 0-9 and -' }),
  description: z.string().optional(),
  priority: z
    .number({ error: rule('must be an integer') })
    .min(-MAX_PRIORITY, { error: priorityRange, abort: true })
    .max(MAX_PRIORITY, { error: priorityRange, abort: true })
    .int({ error: rule('must be an integer') })
    .default(0),
  match: matchSchema,
  retention: retentionSchema,
  storage: storageSchema,
  codec: codecSpecSchema,
  // Off unless asked for: deleting the source is the one step that cannot be undone.
  deleteSourceAfterArchive: z.boolean().default(false),
  objectLock: objectLockSchema.optional(),
  acknowledgeEarlyDeletion: z.boolean().default(false),
});
/** One validated policy, with defaults filled in. */
export type Policy = z.output<typeof policySchema>;

/** The whole `policies.json`; cross-policy rules are checked in load.ts. */
export const policyFileSchema = z.strictObject({
  version: z.literal(1, { error: rule('must be 1, the only policy file version this logvault reads') }),
  defaultPolicy: z.string().min(1),
  policies: z.array(policySchema).min(1, { error: rule('must list at least one policy') }),
});
/** The parsed `policies.json`, before cross-policy checks. */
export type PolicyFile = z.output<typeof policyFileSchema>;
/** `policies.json` as written, before defaults are filled in. */
export type PolicyFileInput = z.input<typeof policyFileSchema>;
