import { z } from 'zod';
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
});
export type ArchiveEnv = z.infer<typeof archiveEnv>;

export const ingestEnv = z.object({
  ARCHIVE_QUEUE_URL: z.url(),
});
export type IngestEnv = z.infer<typeof ingestEnv>;
