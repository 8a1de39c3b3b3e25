import type { Command } from 'commander';
import { listArchives } from '#shared/archive/list.ts';
import { verifyArchive } from '#shared/archive/restore.ts';
import { ColdObjectError } from '#shared/errors.ts';
import { describeFailure } from '../archive-failure.ts';
import { readDeps } from '../clients.ts';
import { CliError, printJson, progress } from '../output.ts';
import { resolveTarget } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

/** Picks about pct% of the keys, spread evenly (deterministic, so a rerun checks the same ones). */
export function sample<T>(items: T[], pct: number): T[] {
  if (pct >= 100) return items;
  const want = Math.max(1, Math.round((items.length * pct) / 100));
  const step = items.length / want;
  return Array.from({ length: Math.min(want, items.length) }, (_, i) => items[Math.floor(i * step)] as T);
}

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('round-trip archives (decrypt, decompress, SHA-256) and report any that fail')
    .option('-s, --source <name>', 'only this source')
    .option('--sample <pct>', 'check this percentage of archives', Number, 100)
    .option('--json', 'machine-readable output')
    .action(async (opts: { source?: string; sample: number; json?: boolean }) => {
      if (!(opts.sample > 0 && opts.sample <= 100))
        throw new CliError('--sample: a percentage above 0 and at most 100', 2);
      const target = await resolveTarget(program.opts());
      const deps = readDeps(target);
      const keys: string[] = [];
      for await (const e of listArchives(deps.s3, deps.bucket, opts.source ? { source: opts.source } : {}))
        keys.push(e.archiveKey);
      if (keys.length === 0 && opts.source)
        throw new CliError(`no archives of source ${forTerminal(opts.source)} to verify`);
      const chosen = sample(keys, opts.sample);
      const failures: { archiveKey: string; error: string }[] = [];
      let cold = 0;
      const bar = progress(chosen.length, 'verifying');
      for (const key of chosen) {
        try {
          await verifyArchive(deps, key);
        } catch (error) {
          if (error instanceof ColdObjectError) cold += 1;
          else
            failures.push({
              archiveKey: key,
              error: await describeFailure(deps.s3, deps.bucket, key, error),
            });
        }
        bar.tick();
      }
      bar.done();
      const summary = {
        archives: keys.length,
        sampled: chosen.length,
        checked: chosen.length - cold,
        skippedCold: cold,
        failed: failures.length,
        failures,
      };
      if (opts.json) printJson(summary);
      else {
        for (const f of failures) process.stderr.write(`FAIL ${forTerminal(f.error)}\n`);
        const verified = summary.checked - failures.length;
        const head =
          chosen.length < keys.length
            ? `${chosen.length} of ${keys.length} sampled, ${verified} verified`
            : `verified ${verified} of ${keys.length} archive(s)`;
        const coldText = cold ? `, ${cold} in cold storage skipped` : '';
        process.stdout.write(`${head}${coldText}; ${failures.length} failed\n`);
      }
      if (failures.length) throw new CliError(`${failures.length} archive(s) failed verification`);
    });
}
