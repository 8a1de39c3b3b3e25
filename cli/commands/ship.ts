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
import { CliError, humanBytes, printJson } from '../output.ts';
import { output, resolveTarget } from '../target.ts';

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A directory is walked whole; a file is looked for with its rotated copies (FILE-*, FILE.*). */
async function patternsFor(paths: string[]): Promise<ScanPattern[]> {
  const patterns: ScanPattern[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    const info = await stat(abs).catch((error: NodeJS.ErrnoException) => {
      throw new CliError(
        `cannot read ${p}: ${error.code === 'ENOENT' ? 'no such file or directory' : error.code}`,
        2,
      );
    });
    if (info.isDirectory()) patterns.push({ tree: abs });
    else patterns.push(...withRotations(escapeGlob(abs)));
  }
  return patterns;
}

/** Bytes read so far and the rate, on stderr, when it is a terminal. */
function byteProgress(): { add(bytes: number): void; done(): void } {
  const tty = process.stderr.isTTY;
  const started = Date.now();
  let total = 0;
  let shown = 0;
  const show = () => {
    const rate = total / Math.max((Date.now() - started) / 1000, 0.001);
    process.stderr.write(`\rshipping ${humanBytes(total)}, ${humanBytes(Math.round(rate))}/s\x1b[K`);
  };
  return {
    add(bytes) {
      total += bytes;
      if (tty && Date.now() - shown > 100) {
        shown = Date.now();
        show();
      }
    },
    done() {
      if (tty && total > 0) {
        show();
        process.stderr.write('\n');
      }
    },
  };
}

export function registerShip(program: Command): void {
  program
    .command('ship')
    .description(
      'send what is new in local logs to the ingest bucket as <source>: each byte once, across rotations (README "Shipping")',
    )
    .argument('<paths...>', 'log files (with their rotated copies FILE-* and FILE.*) or directories (walked)')
    .requiredOption('-s, --source <name>', 'source name: an instance id or an application name')
    .option(
      '--state <dir>',
      'what was shipped is kept here (default: $XDG_STATE_HOME/logvault/ship/<source>)',
    )
    .option('--backfill', 'on the first run for this state, also send logs that were already rotated')
    .option('--json', 'machine-readable output')
    .action(
      async (
        paths: string[],
        opts: { source: string; state?: string; backfill?: boolean; json?: boolean },
      ) => {
        if (!SOURCE.test(opts.source)) {
          throw new CliError(
            `--source: ${JSON.stringify(opts.source)} must be 1-128 letters, digits, '.', '_' or '-'`,
            2,
          );
        }
        const target = await resolveTarget(program.opts());
        const patterns = await patternsFor(paths);
        const s3 = createS3();
        const bucket = output(target, 'IngestBucketName');
        const stateDir = opts.state ? resolve(opts.state) : defaultStateDir(opts.source);
        const bar = byteProgress();
        const result = await shipOnce(
          {
            stateDir,
            source: opts.source,
            prefix: opts.source,
            host: hostname(),
            patterns,
            backfill: opts.backfill ?? false,
          },
          {
            upload: (key, body) =>
              putVerified(s3, bucket, key, body).catch((error: Error) => {
                throw new UploadFailedError(`upload of s3://${bucket}/${key} failed: ${error.message}`);
              }),
            onRead: bar.add,
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
        if (opts.json)
          printJson({ bucket, source: opts.source, stateDir, ...result, batch: result.batch ?? null });
        else process.stdout.write(`${describeRun(result, `s3://${bucket}/`)}\n`);
      },
    );
}
