import type { Tier } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { thaw } from '#shared/archive/cold.ts';
import { describeArchive, type ListFilter, listArchives, withinTime } from '#shared/archive/list.ts';
import type { ReadDeps } from '#shared/archive/open-archive.ts';
import { restoreToDirectory, restoreToStream } from '#shared/archive/restore.ts';
import { ColdObjectError, IntegrityError } from '#shared/errors.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { readDeps } from '../clients.ts';
import { CliError, parseInstant, printJson, progress } from '../output.ts';
import { resolveTarget } from '../target.ts';

/**
 * The archives of a source within the time range. Metadata is not authenticated: one whose
 * metadata is gone or unreadable stays in the list (its key's day is in range), so that restore
 * proves or refuses it loudly instead of leaving it out without a word.
 */
async function archivesToRestore(deps: ReadDeps, filter: ListFilter): Promise<string[]> {
  const keys: string[] = [];
  for await (const e of listArchives(deps.s3, deps.bucket, filter)) keys.push(e.archiveKey);
  const metas = await mapLimit(keys, 16, (key) =>
    describeArchive(deps.s3, deps.bucket, key).catch(() => undefined),
  );
  return keys.filter((_, i) => {
    const meta = metas[i];
    return !meta || withinTime(meta, filter);
  });
}

interface RestoreOpts {
  source?: string;
  from?: string;
  to?: string;
  output?: string;
  wait?: boolean;
  tier: string;
  json?: boolean;
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('decrypt, decompress and verify archived logs (SHA-256 against the authenticated original)')
    .argument('[archive-key]', 'one archive key (see `logvault ls`)')
    .option('-s, --source <name>', 'restore every archive of this source')
    .option('--from <iso>', 'with --source: source objects modified at or after this time')
    .option('--to <iso>', 'with --source: source objects modified at or before this time')
    .option(
      '-o, --output <dir>',
      'write files under DIR at their original keys (default for one archive: stdout)',
    )
    .option('--wait', 'for archives in GLACIER or DEEP_ARCHIVE: start the S3 restore and wait for it')
    .option('--tier <tier>', 'S3 restore tier for cold archives: Expedited, Standard or Bulk', 'Standard')
    .option('--json', 'machine-readable summary')
    .action(async (archiveKey: string | undefined, opts: RestoreOpts) => {
      if (!archiveKey && !opts.source) throw new CliError('restore: give an archive key or --source', 2);
      if (archiveKey && opts.source)
        throw new CliError('restore: give an archive key or --source, not both', 2);
      if (!['Expedited', 'Standard', 'Bulk'].includes(opts.tier)) {
        throw new CliError(`--tier: ${JSON.stringify(opts.tier)} is not one of Expedited, Standard, Bulk`, 2);
      }
      const target = await resolveTarget(program.opts());
      const deps = readDeps(target);
      const from = parseInstant(opts.from, '--from');
      const to = parseInstant(opts.to, '--to');
      const keys = archiveKey
        ? [archiveKey]
        : await archivesToRestore(deps, {
            source: opts.source as string,
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
          });
      if (keys.length === 0) throw new CliError(`no archives of source ${opts.source} in that range`);
      if (!opts.output && keys.length > 1)
        throw new CliError(`${keys.length} archives match: pass -o DIR to restore them to files`, 2);

      const results: {
        archiveKey: string;
        path?: string;
        sha256?: string;
        bytes?: number;
        error?: string;
      }[] = [];
      const bar = progress(keys.length, 'restoring');
      for (const key of keys) {
        try {
          await thaw(deps, key, {
            wait: Boolean(opts.wait),
            tier: opts.tier as Tier,
            onWaiting: (e) =>
              process.stderr.write(`${key}: waiting for the S3 restore from ${e.storageClass}...\n`),
          });
          if (opts.output) {
            const { decoded, path } = await restoreToDirectory(deps, key, opts.output);
            results.push({ archiveKey: key, path, sha256: decoded.sha256, bytes: decoded.bytes });
          } else {
            const decoded = await restoreToStream(deps, key, process.stdout);
            results.push({ archiveKey: key, sha256: decoded.sha256, bytes: decoded.bytes });
          }
        } catch (error) {
          const message =
            error instanceof IntegrityError || error instanceof ColdObjectError
              ? error.message
              : `${key}: ${(error as Error).message}`;
          results.push({ archiveKey: key, error: message });
          process.stderr.write(`restore failed: ${message}\n`);
        }
        bar.tick();
      }
      bar.done();
      const failed = results.filter((r) => r.error);
      if (opts.json) printJson({ restored: results.length - failed.length, failed: failed.length, results });
      else if (opts.output && failed.length === 0) {
        process.stderr.write(
          `restored ${results.length - failed.length} of ${results.length} archive(s) to ${opts.output}; every SHA-256 verified\n`,
        );
      }
      if (failed.length) throw new CliError(`${failed.length} archive(s) could not be restored`);
    });
}
