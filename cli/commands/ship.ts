import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { awaitMembers } from '#shared/archive/await-members.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { ShipLockedError, ShipStateError, UploadFailedError } from '#shared/errors.ts';
import { putVerified } from '#shared/ingest/ship.ts';
import { escapeGlob, type ScanPattern, withRotations } from '#shared/ship/paths.ts';
import { shipOnce } from '#shared/ship/run.ts';
import { defaultStateDir } from '#shared/ship/state.ts';
import { describeRun } from '#shared/ship/summary.ts';
import { ledgerDeps } from '../clients.ts';
import { describeFsError } from '../fs-errors.ts';
import { wholeNumber } from '../numbers.ts';
import { CliError, printJson, progress, usageError } from '../output.ts';
import { checkSourceName } from '../source-name.ts';
import { output, resolveTarget, type Target } from '../target.ts';

/** How long `--wait` waits by default: a few batching windows of a busy stage. */
const DEFAULT_WAIT_SECONDS = 300;

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
    .option(
      '--wait [seconds]',
      `then wait until the archive holds everything this run sent (default: ${DEFAULT_WAIT_SECONDS} s); exit 1 if it does not in time`,
    )
    .option('--json', 'print {bucket, source, stateDir, batch, files, ..., archived} on stdout')
    .action(
      async (
        paths: string[],
        opts: { source: string; state?: string; backfill?: boolean; wait?: string | true; json?: boolean },
      ) => {
        const source = checkSourceName(opts.source);
        const waitSeconds =
          opts.wait === undefined
            ? undefined
            : opts.wait === true
              ? DEFAULT_WAIT_SECONDS
              : wholeNumber(opts.wait, '--wait', 0);
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
        const archived =
          waitSeconds === undefined
            ? undefined
            : await waitForArchive(target, result.batch?.members ?? [], waitSeconds);
        if (opts.json)
          printJson({
            bucket,
            source,
            stateDir,
            ...result,
            batch: result.batch ?? null,
            ...(archived ? { archived } : {}),
          });
        else {
          process.stdout.write(`${describeRun(result, `s3://${bucket}/`)}\n`);
          if (archived && result.batch && archived.pending.length === 0)
            process.stdout.write(
              `archived: all ${archived.total} member(s) of the batch, in ${archived.archives.length} archive(s)\n`,
            );
        }
        if (archived?.pending.length)
          throw new CliError(
            `${archived.pending.length} of ${archived.total} member(s) of ${result.batch?.key} not archived after ${waitSeconds} s; ` +
              'the pipeline keeps the batch and archives it later (logvault ls, or the archive queue and its dead-letter queue)',
          );
      },
    );
}

/** Waits, with progress on a terminal, until the member ledger shows every one of `members` archived. */
async function waitForArchive(target: Target, members: readonly string[], seconds: number) {
  const bar = progress(members.length, 'archived');
  let shown = 0;
  const wait = await awaitMembers(ledgerDeps(target), members, {
    timeoutMs: seconds * 1000,
    onProgress: (n) => {
      for (; shown < n; shown++) bar.tick();
    },
  });
  bar.done();
  return wait;
}
