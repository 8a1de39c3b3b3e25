import type { Command } from 'commander';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { setLegalHold } from '#shared/sweep/legal-hold.ts';
import { CliError, parseInstant, printJson } from '../output.ts';
import { output, resolveTarget } from '../target.ts';
import { gatherArchives } from './ls.ts';

interface SelectorOpts {
  source?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

/** The archive keys a selector names: one archive key, or a source with an optional time range. */
async function select(bucket: string, key: string | undefined, opts: SelectorOpts): Promise<string[]> {
  if (key && opts.source) throw new CliError('give an archive key or --source, not both', 2);
  if (key) {
    if (!parseArchiveKey(key)) throw new CliError(`not an archive key: ${key}`, 2);
    return [key];
  }
  if (!opts.source) throw new CliError('give an archive key or --source NAME', 2);
  const from = parseInstant(opts.from, '--from');
  const to = parseInstant(opts.to, '--to');
  const rows = await gatherArchives(bucket, {
    source: opts.source,
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
  });
  return rows.map((r) => r.archiveKey);
}

function registerOne(program: Command, name: 'hold' | 'release', on: boolean, description: string): void {
  program
    .command(`${name} [archiveKey]`)
    .description(description)
    .option('-s, --source <name>', 'every archive of this source')
    .option('--from <iso>', 'with --source: source objects modified at or after this time')
    .option('--to <iso>', 'with --source: source objects modified at or before this time')
    .option('--json', 'machine-readable output')
    .action(async (archiveKey: string | undefined, opts: SelectorOpts) => {
      const target = await resolveTarget(program.opts());
      const bucket = output(target, 'ArchiveBucketName');
      const keys = await select(bucket, archiveKey, opts);
      const s3 = createS3();
      for (const key of keys) await setLegalHold(s3, bucket, key, on);
      if (opts.json) return printJson({ legalHold: on ? 'ON' : 'OFF', archives: keys });
      for (const key of keys) process.stdout.write(`${key}\n`);
      process.stderr.write(`${on ? 'held' : 'released'} ${keys.length} archive(s)\n`);
    });
}

export function registerHold(program: Command): void {
  registerOne(
    program,
    'hold',
    true,
    'put a legal hold on archives: the sweeper never deletes them until released',
  );
  registerOne(program, 'release', false, 'clear the legal hold on archives');
}
