import { RestoreObjectCommand, type Tier } from '@aws-sdk/client-s3';
import { ColdObjectError } from '../errors.ts';
import { headReadable, type ReadDeps } from './open-archive.ts';

export interface ThawOptions {
  /** Start the S3 restore and wait for it, instead of failing with ColdObjectError. */
  readonly wait: boolean;
  readonly tier: Tier;
  readonly pollMs?: number;
  readonly onWaiting?: (error: ColdObjectError) => void;
}

/**
 * Makes sure an archive (v1 or a pack) can be read: archives in GLACIER or DEEP_ARCHIVE need an S3 restore
 * first. Without `wait` this reports the state (ColdObjectError); with it, it starts the restore
 * (once) and polls until S3 says the copy is ready.
 */
export async function thaw(
  deps: Pick<ReadDeps, 's3' | 'bucket'>,
  archiveKey: string,
  opts: ThawOptions,
): Promise<void> {
  for (;;) {
    try {
      await headReadable(deps, archiveKey);
      return;
    } catch (error) {
      if (!(error instanceof ColdObjectError) || !opts.wait) throw error;
      if (error.restoreState === 'not-started') {
        await deps.s3.send(
          new RestoreObjectCommand({
            Bucket: deps.bucket,
            Key: archiveKey,
            RestoreRequest: { Days: 2, GlacierJobParameters: { Tier: opts.tier } },
          }),
        );
        continue;
      }
      opts.onWaiting?.(error);
      await new Promise((r) => setTimeout(r, opts.pollMs ?? 30_000));
    }
  }
}
