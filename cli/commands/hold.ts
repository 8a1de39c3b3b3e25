import type { Command } from 'commander';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import { listArchives } from '#shared/archive/list.ts';
import { selectsForHold } from '#shared/archive/selection.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { setLegalHold } from '#shared/sweep/legal-hold.ts';
import { describeFailure } from '../archive-failure.ts';
import { CliError, parseRange, printJson } from '../output.ts';
import { output, resolveTarget } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

interface SelectorOpts {
  source?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

type Action = 'hold' | 'release';

/**
 * The archive keys a selector names: one archive key, or a source's archives by their key's day
 * (see selectsForHold: hold takes every day the range touches, release only whole days). No
 * metadata is read: it is not authenticated, and could otherwise hide an archive from a hold.
 */
async function select(
  bucket: string,
  action: Action,
  key: string | undefined,
  opts: SelectorOpts,
): Promise<{ keys: string[]; partDays: string[] }> {
  if (key && opts.source) throw new CliError('give an archive key or --source, not both', 2);
  if (key) return { keys: [key], partDays: [] };
  if (!opts.source) throw new CliError('give an archive key or --source NAME', 2);
  const { from, to } = parseRange(opts);
  const range = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
  const keys: string[] = [];
  const partDays = new Set<string>();
  let listed = 0;
  for await (const e of listArchives(createS3(), bucket, { source: opts.source, ...range })) {
    listed += 1;
    const day = parseArchiveKey(e.archiveKey)?.day ?? '';
    if (selectsForHold(action, day, range)) keys.push(e.archiveKey);
    else partDays.add(day);
  }
  if (listed === 0) throw new CliError(`no archives of source ${forTerminal(opts.source)} in that range`);
  return { keys, partDays: [...partDays] };
}

function registerOne(program: Command, action: Action, description: string): void {
  const on = action === 'hold';
  program
    .command(action)
    .description(description)
    .argument('[archive-key]', 'one archive key (the ARCHIVE KEY column of `logvault ls`)')
    .option('-s, --source <name>', 'every archive of this source')
    .option('--from <iso>', 'with --source: source objects modified at or after this time')
    .option('--to <iso>', 'with --source: source objects modified at or before this time')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      on
        ? '\nWith --from/--to, every archive whose key day the range touches is held (a superset: an extra hold loses nothing).'
        : '\nWith --from/--to, only archives on days the range covers whole are released; the others stay held, and are named.',
    )
    .action(async (archiveKey: string | undefined, opts: SelectorOpts) => {
      const target = await resolveTarget(program.opts());
      const bucket = output(target, 'ArchiveBucketName');
      const { keys, partDays } = await select(bucket, action, archiveKey, opts);
      if (keys.length === 0)
        throw new CliError(`nothing released: the range covers ${partDays.join(', ')} only in part`);
      const s3 = createS3();
      const outcomes = await mapLimit(keys, 8, async (key) => {
        try {
          await setLegalHold(s3, bucket, key, on);
          return { archiveKey: key };
        } catch (error) {
          return { archiveKey: key, error: await describeFailure(s3, bucket, key, error) };
        }
      });
      const done = outcomes.filter((o) => o.error === undefined).map((o) => o.archiveKey);
      const failed = outcomes.filter(
        (o): o is { archiveKey: string; error: string } => o.error !== undefined,
      );
      if (opts.json) {
        printJson({
          legalHold: on ? 'ON' : 'OFF',
          archives: done,
          failed,
          ...(on ? {} : { keptHeldDays: partDays }),
        });
      } else {
        for (const key of done) process.stdout.write(`${forTerminal(key)}\n`);
        for (const f of failed) process.stderr.write(`${action} failed: ${forTerminal(f.error)}\n`);
        for (const day of partDays)
          process.stderr.write(`not released: archives of ${day}, a day the range covers only in part\n`);
        process.stderr.write(`${on ? 'held' : 'released'} ${done.length} of ${keys.length} archive(s)\n`);
      }
      if (failed.length)
        throw new CliError(`${failed.length} archive(s) could not be ${on ? 'held' : 'released'}`);
    });
}

export function registerHold(program: Command): void {
  registerOne(program, 'hold', 'put a legal hold on archives: the sweeper never deletes them until released');
  registerOne(program, 'release', 'clear the legal hold on archives');
}
