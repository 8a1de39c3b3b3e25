import type { Command } from 'commander';
import { listArchives } from '#shared/archive/list.ts';
import {
  allMembers,
  type GonePack,
  type MemberItem,
  membersOfSource,
} from '#shared/archive/member-ledger.ts';
import { parsePackKey } from '#shared/archive/pack-format.ts';
import { verifyArchive } from '#shared/archive/restore.ts';
import { ColdObjectError } from '#shared/errors.ts';
import { listPacks } from '#shared/logs/list-packs.ts';
import { type LedgerMismatch, verifyPack } from '#shared/logs/verify-pack.ts';
import { describeFailure } from '../archive-failure.ts';
import { ledgerDeps, readDeps } from '../clients.ts';
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
    .description(
      'round-trip archives (decrypt, decompress, SHA-256 of every member) and report any that fail; ' +
        'reconcile the member ledger with the packs read',
    )
    .option('-s, --source <name>', 'only this source')
    .option('--sample <pct>', 'check this percentage of archives', Number, 100)
    .option('--json', 'machine-readable output')
    .action(async (opts: { source?: string; sample: number; json?: boolean }) => {
      if (!(opts.sample > 0 && opts.sample <= 100))
        throw new CliError('--sample: a percentage above 0 and at most 100', 2);
      const target = await resolveTarget(program.opts());
      const deps = readDeps(target);
      const ledger = ledgerDeps(target);
      const items = new Map<string, MemberItem>();
      const failures: { archiveKey: string; error: string }[] = [];
      // A pack the ledger names that is gone before its expiry fails the check like a bad one.
      const onGonePack = (g: GonePack) =>
        failures.push({
          archiveKey: g.archive,
          error: `no such archive: the ledger names it for source ${g.source} (shipped ${g.time})`,
        });
      const source = opts.source
        ? membersOfSource(ledger, opts.source, { onGonePack })
        : allMembers(ledger, { onGonePack });
      for await (const item of source) items.set(item.id, item);
      const keys: string[] = [];
      for await (const e of listArchives(deps.s3, deps.bucket, opts.source ? { source: opts.source } : {}))
        keys.push(e.archiveKey);
      const packs = await listPacks({ ...deps, ledger }, opts.source ? { source: opts.source } : {});
      keys.push(...packs.map((p) => p.archiveKey));
      if (keys.length === 0 && opts.source)
        throw new CliError(`no archives of source ${forTerminal(opts.source)} to verify`);
      const chosen = sample(keys, opts.sample);
      const mismatches: LedgerMismatch[] = [];
      const sources = opts.source ? new Set([opts.source]) : undefined;
      let cold = 0;
      let members = 0;
      const bar = progress(chosen.length, 'verifying');
      for (const key of chosen) {
        try {
          if (parsePackKey(key)) {
            const verdict = await verifyPack(deps, key, items, sources);
            members += verdict.verified;
            for (const error of verdict.failures) failures.push({ archiveKey: key, error });
            mismatches.push(...verdict.mismatches);
          } else {
            await verifyArchive(deps, key);
            members += 1;
          }
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
        members,
        failed: new Set(failures.map((f) => f.archiveKey)).size,
        failures,
        ledgerMismatches: mismatches,
      };
      if (opts.json) printJson(summary);
      else {
        for (const f of failures) process.stderr.write(`FAIL ${forTerminal(f.error)}\n`);
        for (const m of mismatches)
          process.stderr.write(
            `LEDGER ${forTerminal(m.archiveKey)}: member ${m.member} ${forTerminal(m.problem)}\n`,
          );
        const verified = summary.checked - summary.failed;
        const head =
          chosen.length < keys.length
            ? `${chosen.length} of ${keys.length} sampled, ${verified} verified`
            : `verified ${verified} of ${keys.length} archive(s)`;
        const coldText = cold ? `, ${cold} in cold storage skipped` : '';
        const ledgerText = mismatches.length ? `; ${mismatches.length} ledger mismatch(es)` : '';
        process.stdout.write(`${head}${coldText}; ${summary.failed} failed${ledgerText}\n`);
      }
      if (summary.failed) throw new CliError(`${summary.failed} archive(s) failed verification`);
      if (mismatches.length)
        throw new CliError(`${mismatches.length} member(s) where the ledger and the packs disagree`);
    });
}
