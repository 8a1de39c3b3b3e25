import type { Command } from 'commander';
import { createS3 } from '#shared/clients/aws.ts';
import { runSweep } from '#shared/sweep/run.ts';
import { humanBytes, parseInstant, printJson } from '../output.ts';
import { output, resolveTarget } from '../target.ts';

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('delete expired archives now (never held or locked ones), as the scheduled sweeper does')
    .option('--dry-run', 'list exactly what would be deleted; delete nothing')
    .option('--now <iso>', 'sweep as if the clock read this time')
    .option('--json', 'print the full run report as JSON')
    .action(async (opts: { dryRun?: boolean; now?: string; json?: boolean }) => {
      const target = await resolveTarget(program.opts());
      const now = parseInstant(opts.now, '--now') ?? new Date();
      const report = await runSweep({
        s3: createS3(),
        bucket: output(target, 'ArchiveBucketName'),
        now,
        dryRun: Boolean(opts.dryRun),
      });
      if (opts.json) return printJson(report);
      if (report.refused) {
        process.stderr.write('refused: the clock reads earlier than the last sweep; nothing deleted\n');
        return;
      }
      const verb = report.dryRun ? 'would delete' : 'deleted';
      for (const key of report.deletedKeys) process.stdout.write(`${verb}  ${key}\n`);
      for (const k of report.keptKeys) process.stdout.write(`kept (${k.reason})  ${k.archiveKey}\n`);
      for (const f of report.failures) process.stdout.write(`failed (${f.code})  ${f.key}\n`);
      process.stderr.write(
        `${report.dryRun ? 'dry run: ' : ''}scanned ${report.scanned}, expired ${report.expired}, ` +
          `${verb} ${report.dryRun ? report.deletedKeys.length : report.deleted}, ` +
          `held ${report.skipped.held}, locked ${report.skipped.locked}, failed ${report.failed}, ` +
          `freed ${humanBytes(report.bytesFreed)}\n`,
      );
    });
}
