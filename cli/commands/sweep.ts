import type { Command } from 'commander';
import { createS3 } from '#shared/clients/aws.ts';
import type { SweepReport } from '#shared/sweep/report.ts';
import { runSweep, type SweepOptions } from '#shared/sweep/run.ts';
import { ledgerDeps } from '../clients.ts';
import { canAsk, confirm } from '../confirm.ts';
import { CliError, humanBytes, parseInstant, printJson, usageError } from '../output.ts';
import { output, resolveTarget } from '../target.ts';

interface SweepOpts {
  dryRun?: boolean;
  now?: string;
  yes?: boolean;
  json?: boolean;
}

/**
 * A real sweep under a clock that is not the machine's deletes whatever that clock says has
 * expired, and the sweeper then refuses earlier clocks until that time. It runs only once a
 * person has seen what it will delete (from a dry run) and said yes, or with --yes.
 */
async function confirmMovedClock(run: SweepOptions, opts: SweepOpts): Promise<void> {
  const preview = await runSweep({ ...run, dryRun: true });
  if (preview.refused) return;
  const what = `${preview.wouldDelete} archive(s) (${humanBytes(preview.bytesWouldFree)})`;
  const when = run.now.toISOString();
  const later =
    run.now.getTime() > Date.now() ? `; scheduled sweeps then refuse to run until ${when} has passed` : '';
  if (opts.yes) return;
  if (!canAsk()) {
    throw usageError(
      `sweep --now ${opts.now} would delete ${what} as if the clock read ${when}${later}. ` +
        'Pass --yes to do it, or --dry-run to list them.',
    );
  }
  if (!(await confirm(`Delete ${what} as if the clock read ${when}${later}?`))) {
    throw new CliError('nothing deleted: not confirmed');
  }
}

function printHuman(report: SweepReport): void {
  const keys = report.dryRun ? report.wouldDeleteKeys : report.deletedKeys;
  const verb = report.dryRun ? 'would delete' : 'deleted';
  for (const key of keys) process.stdout.write(`${verb}  ${key}\n`);
  for (const k of report.keptKeys) process.stdout.write(`kept (${k.reason})  ${k.archiveKey}\n`);
  for (const f of report.failures) process.stdout.write(`failed (${f.code})  ${f.key}\n`);
  const result = report.dryRun
    ? `would delete ${report.wouldDelete}, would free ${humanBytes(report.bytesWouldFree)}`
    : `deleted ${report.deleted}, freed ${humanBytes(report.bytesFreed)}`;
  process.stderr.write(
    `${report.dryRun ? 'dry run: ' : ''}scanned ${report.scanned}, expired ${report.expired}, ${result}, ` +
      `held ${report.skipped.held}, locked ${report.skipped.locked}, failed ${report.failed}\n`,
  );
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('delete expired archives now (never held or locked ones), as the scheduled sweeper does')
    .option('--dry-run', 'list exactly what would be deleted, and the bytes it would free; delete nothing')
    .option(
      '--now <iso>',
      'sweep as if the clock read this time; without --dry-run it asks first (or needs --yes)',
    )
    .option('-y, --yes', 'with --now: delete without asking')
    .option(
      '--json',
      'print the run report as JSON (a dry run fills wouldDelete, bytesWouldFree, wouldDeleteKeys)',
    )
    .action(async (opts: SweepOpts) => {
      const now = parseInstant(opts.now, '--now');
      const target = await resolveTarget(program.opts());
      const run = {
        s3: createS3(),
        bucket: output(target, 'ArchiveBucketName'),
        ledger: ledgerDeps(target),
        now: now ?? new Date(),
      };
      if (now && !opts.dryRun) await confirmMovedClock(run, opts);
      const report = await runSweep({ ...run, dryRun: Boolean(opts.dryRun) });
      if (opts.json) printJson(report);
      else if (!report.refused) printHuman(report);
      if (report.refused) {
        throw new CliError(
          `refused: the clock (${report.now}) reads earlier than the last sweep; nothing deleted`,
        );
      }
    });
}
