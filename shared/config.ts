import * as z from 'zod';
import { DEFAULT_PACK_THRESHOLD_BYTES, MAX_PACK_PLAINTEXT_BYTES } from './archive/pack-limits.ts';
import { ConfigError } from './errors.ts';

/**
 * Validates environment variables once, at cold start, so a missing variable fails loudly there
 * rather than as `undefined` inside an SDK call later.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: NodeJS.ProcessEnv = process.env,
): Readonly<z.infer<S>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`)
      .join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  return Object.freeze(parsed.data);
}

export const archiveEnv = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  ARCHIVE_KEY_ARN: z.string().startsWith('arn:'),
  /** The only bucket whose objects are archived: a job naming any other is refused. */
  INGEST_BUCKET: z.string().min(3),
  /** Where refused and malformed jobs go at once. */
  DEAD_LETTER_QUEUE_URL: z.url(),
  /** The member ledger: which archive holds each packed member. */
  MEMBERS_TABLE: z.string().min(3),
  /** Sources up to this many bytes are packed with others; larger ones keep an archive of their own. */
  PACK_THRESHOLD_BYTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_PACK_PLAINTEXT_BYTES)
    .default(DEFAULT_PACK_THRESHOLD_BYTES),
});
export type ArchiveEnv = z.infer<typeof archiveEnv>;

export const ingestEnv = z.object({
  ARCHIVE_QUEUE_URL: z.url(),
  /** The only bucket whose notifications become archive jobs. */
  INGEST_BUCKET: z.string().min(3),
  /** Where refused and malformed notifications go at once. */
  DEAD_LETTER_QUEUE_URL: z.url(),
});
export type IngestEnv = z.infer<typeof ingestEnv>;

const csv = z.string().transform((s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean),
);

export const provisionApiEnv = z.object({
  REQUESTS_TABLE: z.string().min(3),
  PROVISION_QUEUE_URL: z.url(),
  /** Instance types operators may ask for, comma-separated. */
  PROVISION_INSTANCE_TYPES: csv.pipe(z.array(z.string().min(1)).min(1)),
  /** Most instances one request may launch. */
  PROVISION_MAX_COUNT: z.coerce.number().int().min(1),
  LOGVAULT_STAGE: z.string().min(1),
  /** Set by Lambda itself (and by the local runner); the instances launch in this region. */
  AWS_REGION: z.string().min(1),
});
export type ProvisionApiEnv = z.infer<typeof provisionApiEnv>;

export const provisionWorkerEnv = z.object({
  REQUESTS_TABLE: z.string().min(3),
  INGEST_BUCKET: z.string().min(3),
  INSTANCE_PROFILE_ARN: z.string().startsWith('arn:'),
  /** The public SSM parameter naming the latest Amazon Linux 2023 arm64 AMI. */
  AMI_PARAMETER: z.string().startsWith('/'),
  LOGVAULT_STAGE: z.string().min(1),
  /** Set by Lambda itself (and by the local runner). */
  AWS_REGION: z.string().min(1),
});
export type ProvisionWorkerEnv = z.infer<typeof provisionWorkerEnv>;

export const sweepEnv = z.object({
  ARCHIVE_BUCKET: z.string().min(3),
  /** The member ledger, whose items of a deleted archive the sweeper removes. */
  MEMBERS_TABLE: z.string().min(3),
  SWEEP_QUEUE_URL: z.url(),
});
export type SweepEnv = z.infer<typeof sweepEnv>;
