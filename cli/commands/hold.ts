import type { Command } from 'commander';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import { listArchives } from '#shared/archive/list.ts';
import { CLAIM_TTL_DAYS, type GonePack, getMember, membersOfSource } from '#shared/archive/member-ledger.ts';
import { parsePackKey } from '#shared/archive/pack-format.ts';
import { selectsForHold } from '#shared/archive/selection.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { setLegalHold } from '#shared/sweep/legal-hold.ts';
import { describeFailure } from '../archive-failure.ts';
import { ledgerDeps } from '../clients.ts';
import { gonePackLine } from '../log-lines.ts';
import { CliError, parseRange, printJson } from '../output.ts';
import { output, resolveTarget, type Target } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

interface SelectorOpts {
  source?: string;
  from?: string;
  to?: string;
  json?: boolean;
}

type Action = 'hold' | 'release';

const MEMBER_ID = /^[0-9a-f]{32}$/;

/**
 * The archive keys a selector names: one archive key; a member id (the archive the ledger says
 * holds it); or a source's archives: v1 archives by their key's day (see selectsForHold: hold
 * takes every day the range touches, release only whole days), and the packs holding a member of
 * the source in the range (the ledger says which). No archive content is read: hold needs no key
 * access. A pack also holds other sources' members, so `release --source` never releases one: it
 * names them, to be released by key.
 */
async function select(
  target: Target,
  action: Action,
  key: string | undefined,
  opts: SelectorOpts,
): Promise<{ keys: string[]; partDays: string[]; keptPacks: string[] }> {
  if (key && opts.source) throw new CliError('give an archive key or --source, not both', 2);
  if (key && MEMBER_ID.test(key)) {
    const item = await getMember(ledgerDeps(target), key);
    if (!item)
      throw new CliError(
        `no member ${key} in the ledger (a packed log's claim is kept ${CLAIM_TTL_DAYS} days): hold its pack by key, or use --source`,
      );
    return { keys: [item.archive], partDays: [], keptPacks: [] };
  }
  if (key) return { keys: [key], partDays: [], keptPacks: [] };
  if (!opts.source) throw new CliError('give an archive key, a member id or --source NAME', 2);
  const { from, to } = parseRange(opts);
  const range = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
  const keys: string[] = [];
  const partDays = new Set<string>();
  let listed = 0;
  const bucket = output(target, 'ArchiveBucketName');
  for await (const e of listArchives(createS3(), bucket, { source: opts.source, ...range })) {
    listed += 1;
    const day = parseArchiveKey(e.archiveKey)?.day ?? '';
    if (selectsForHold(action, day, range)) keys.push(e.archiveKey);
    else partDays.add(day);
  }
  const packs = new Set<string>();
  // A pack that is gone cannot be held: named, and the rest are.
  const onGonePack = (g: GonePack) => process.stderr.write(`${gonePackLine(g)}\n`);
  for await (const m of membersOfSource(ledgerDeps(target), opts.source, { ...range, onGonePack }))
    if (parsePackKey(m.archive)) packs.add(m.archive);
  if (listed === 0 && packs.size === 0)
    throw new CliError(`no archives of source ${forTerminal(opts.source)} in that range`);
  if (action === 'hold') return { keys: [...keys, ...packs], partDays: [...partDays], keptPacks: [] };
  return { keys, partDays: [...partDays], keptPacks: [...packs] };
}

function registerOne(program: Command, action: Action, description: string): void {
  const on = action === 'hold';
  program
    .command(action)
    .description(description)
    .argument(
      '[archive-key]',
      'one archive key (the ARCHIVE KEY column of `logvault ls --archives`), or a member id (ls --json)',
    )
    .option('-s, --source <name>', 'every archive holding a log of this source')
    .option('--from <iso>', 'with --source: source objects modified at or after this time')
    .option('--to <iso>', 'with --source: source objects modified at or before this time')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      on
        ? '\nWith --source, every v1 archive whose key day the range touches is held, and every pack holding a member\n' +
            'of the source shipped (objects: modified) in the range: a superset, since an extra hold loses nothing.'
        : '\nWith --from/--to, only v1 archives on days the range covers whole are released; the others stay held,\n' +
            "and are named. Packs also hold other sources' logs: --source names them, and never releases one.",
    )
    .action(async (archiveKey: string | undefined, opts: SelectorOpts) => {
      const target = await resolveTarget(program.opts());
      const bucket = output(target, 'ArchiveBucketName');
      const { keys, partDays, keptPacks } = await select(target, action, archiveKey, opts);
      const kept = keptPacks.map(
        (k) =>
          `not released: ${forTerminal(k)}, a pack (it holds other sources' logs too; release it by key)`,
      );
      if (keys.length === 0) {
        for (const line of kept) process.stderr.write(`${line}\n`);
        const why = partDays.length
          ? `the range covers ${partDays.join(', ')} only in part`
          : 'only packs hold them';
        throw new CliError(`nothing released: ${why}`);
      }
      const s3 = createS3();
      const outcomes = await mapLimit(keys, 8, async (key) => {
        try {
          await setLegalHold(s3, bucket, key, on);
          return { archiveKey: key };
        } catch (error) {
          const ledger = ledgerDeps(target);
          return { archiveKey: key, error: await describeFailure(s3, bucket, key, error, ledger) };
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
          ...(on ? {} : { keptHeldDays: partDays, keptHeldPacks: keptPacks }),
        });
      } else {
        for (const key of done) process.stdout.write(`${forTerminal(key)}\n`);
        for (const f of failed) process.stderr.write(`${action} failed: ${forTerminal(f.error)}\n`);
        for (const day of partDays)
          process.stderr.write(`not released: archives of ${day}, a day the range covers only in part\n`);
        for (const line of kept) process.stderr.write(`${line}\n`);
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
