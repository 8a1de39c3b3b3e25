import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { createS3 } from '#shared/clients/aws.ts';
import { ShipLockedError, ShipStateError, UploadFailedError } from '#shared/errors.ts';
import { putVerified } from '#shared/ingest/ship.ts';
import { escapeGlob, type ScanPattern, withRotations } from '#shared/ship/paths.ts';
import { shipOnce } from '#shared/ship/run.ts';
import { defaultStateDir } from '#shared/ship/state.ts';
import { describeRun } from '#shared/ship/summary.ts';
import { describeFsError } from '../fs-errors.ts';
import { CliError, printJson, progress, usageError } from '../output.ts';
import { checkSourceName } from '../source-name.ts';
import { output, resolveTarget } from '../target.ts';

/** A directory is walked whole; a file is looked for with its rotated copies (FILE-*, FILE.*). */
async function patternsFor(paths: string[]): Promise<ScanPattern[]> {
  const patterns: ScanPattern[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    const info = await stat(abs).catch((error: unknown) => {
      throw usageError(`cannot ship: ${describeFsError(error, p)}`);
    });
    if (info.isDirectory()) patterns.push({ tree: abs });
    else patterns.push(...withRotations(escapeGlob(abs)));
  }
  return patterns;
}

export function registerShip(program: Command): void {
  program
    .command('ship')
    .description(
      'send what is new in local logs to the ingest bucket as <source>: each byte once, across rotations (README "Shipping")',
    )
    .argument('<paths...>', 'log files (with their rotated copies FILE-* and FILE.*) or directories (walked)')
    .requiredOption(
      '-s, --source <name>',
      "source name: an instance id or an application name (letters, digits, '.', '_', '-'; starts with a letter or digit)",
    )
    .option(
      '--state <dir>',
      'what was shipped is kept here (default: $XDG_STATE_HOME/logvault/ship/<source>)',
    )
    .option('--backfill', 'on the first run for this state, also send logs that were already rotated')
    .option('--json', 'print {bucket, source, stateDir, batch, files, ...} on stdout')
    .action(
      async (
        paths: string[],
        opts: { source: string; state?: string; backfill?: boolean; json?: boolean },
      ) => {
        const source = checkSourceName(opts.source);
        const patterns = await patternsFor(paths);
        const target = await resolveTarget(program.opts());
        const s3 = createS3();
        const bucket = output(target, 'IngestBucketName');
        const stateDir = opts.state ? resolve(opts.state) : defaultStateDir(source);
        const bar = progress(undefined, 'shipping', { bytes: true });
        const result = await shipOnce(
          {
            stateDir,
            source,
            prefix: source,
            host: hostname(),
            patterns,
            backfill: opts.backfill ?? false,
          },
          {
            upload: (key, body) =>
              putVerified(s3, bucket, key, body).catch((error: Error) => {
                throw new UploadFailedError(`upload of s3://${bucket}/${key} failed: ${error.message}`);
              }),
            onRead: (n) => bar.bytes(n),
          },
        ).catch((error: Error) => {
          if (error instanceof ShipLockedError) throw new CliError(error.message, 75);
          if (error instanceof ShipStateError) throw new CliError(error.message, 2);
          if (error instanceof UploadFailedError)
            throw new CliError(`${error.message}; the next run sends this batch again first`);
          throw error;
        });
        bar.done();
        for (const problem of result.problems) process.stderr.write(`logvault: ${problem}\n`);
        if (opts.json) printJson({ bucket, source, stateDir, ...result, batch: result.batch ?? null });
        else process.stdout.write(`${describeRun(result, `s3://${bucket}/`)}\n`);
      },
    );
}
