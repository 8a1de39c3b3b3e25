import type { Tier } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { thaw } from '#shared/archive/cold.ts';
import { listArchives } from '#shared/archive/list.ts';
import type { ReadDeps } from '#shared/archive/open-archive.ts';
import { openOutputRoot } from '#shared/archive/output-dir.ts';
import {
  type RestoreOptions,
  type RestoreResult,
  restoreArchives,
  restoreToStream,
} from '#shared/archive/restore.ts';
import { UnsafeOutputError } from '#shared/errors.ts';
import { describeFailure } from '../archive-failure.ts';
import { readDeps } from '../clients.ts';
import { CliError, parseRange, printJson, progress } from '../output.ts';
import { resolveTarget } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

interface RestoreOpts {
  source?: string;
  from?: string;
  to?: string;
  output?: string;
  wait?: boolean;
  tier: string;
  json?: boolean;
}

const HELP = `
Where files go (-o DIR):
  Each archive is written at its original key under DIR (DIR/<source>/<path>), taken from its
  authenticated encryption context, and only once its SHA-256 is proved. Nothing is written through
  a symbolic link inside DIR, and no existing file is replaced: such a path is refused and named.
  Archives whose keys restore to one path (two versions of a key, or "a//b" and "a/b") each get
  ".<YYYYMMDDTHHMMSSZ>" (the source's modification time, UTC), plus "-<first 8 hex digits of the
  archive id>" where two share a second. A name over 255 bytes is cut and ends in "~<hex digest>".

Time range (--from/--to):
  Archives are listed by their key's day. An archive whose encryption context carries its
  modification time is restored only when that authenticated time is in range; one written before
  that is selected by its key's day. Metadata never excludes an archive; where it disagrees, the
  restore says so.

Output:
  Without -o, stdout carries the restored log and nothing else (so --json needs -o). With -o,
  --json prints one JSON summary on stdout; messages go to stderr.
`;

function usage(archiveKey: string | undefined, opts: RestoreOpts): void {
  const bad = (message: string) => new CliError(`restore: ${message}`, 2);
  if (!archiveKey && !opts.source) throw bad('give an archive key or --source');
  if (archiveKey && opts.source) throw bad('give an archive key or --source, not both');
  if (!opts.source && (opts.from || opts.to)) throw bad('--from and --to go with --source');
  if (opts.json && !opts.output)
    throw bad('--json needs -o DIR: without it, stdout carries the restored log');
  if (!['Expedited', 'Standard', 'Bulk'].includes(opts.tier)) {
    throw new CliError(`--tier: ${JSON.stringify(opts.tier)} is not one of Expedited, Standard, Bulk`, 2);
  }
}

async function selectArchives(deps: ReadDeps, archiveKey: string | undefined, range: RestoreOptions) {
  if (archiveKey) return [archiveKey];
  const keys: string[] = [];
  for await (const e of listArchives(deps.s3, deps.bucket, range)) keys.push(e.archiveKey);
  if (keys.length === 0)
    throw new CliError(`no archives of source ${forTerminal(`${range.source}`)} in that range`);
  return keys;
}

/** The summary entry of one result: exact keys and paths, for --json. */
interface Entry {
  readonly archiveKey: string;
  readonly status: RestoreResult['status'];
  readonly path?: string;
  readonly originalKey?: string;
  readonly sha256?: string;
  readonly bytes?: number;
  readonly modified?: string;
  readonly renamed?: boolean;
  readonly shortened?: boolean;
  readonly notes?: readonly string[];
  readonly error?: string;
}

async function entryOf(deps: ReadDeps, r: RestoreResult): Promise<Entry> {
  const { archiveKey, status } = r;
  if (r.status === 'failed') return { archiveKey, status, error: await failure(deps, archiveKey, r.error) };
  if (r.status === 'outside-range') return { archiveKey, status, modified: r.modified.toISOString() };
  const { decoded } = r;
  return {
    archiveKey,
    status,
    path: r.path,
    originalKey: decoded.originalKey,
    sha256: decoded.sha256,
    bytes: decoded.bytes,
    ...(decoded.modified ? { modified: decoded.modified.toISOString() } : {}),
    renamed: r.renamed,
    shortened: r.shortened,
    notes: r.notes,
  };
}

const failure = (deps: ReadDeps, key: string, error: unknown) =>
  error instanceof UnsafeOutputError
    ? Promise.resolve(`${key}: ${error.message}`)
    : describeFailure(deps.s3, deps.bucket, key, error);

/** What a person reads on stderr about one result, beyond the summary line. */
function linesOf(entry: Entry): string[] {
  const key = forTerminal(entry.archiveKey);
  const path = forTerminal(entry.path ?? '');
  if (entry.error !== undefined) return [`restore failed: ${forTerminal(entry.error)}`];
  return [
    ...(entry.renamed ? [`${key}: restored as ${path} (other archives share its path)`] : []),
    ...(entry.shortened ? [`${key}: name cut to 255 bytes: ${path}`] : []),
    ...(entry.notes ?? []).map((n) => `${key}: ${forTerminal(n)}`),
  ];
}

async function toDirectory(
  deps: ReadDeps,
  keys: string[],
  dir: string,
  opts: RestoreOpts,
  range: RestoreOptions,
) {
  const bar = progress(keys.length, 'restoring');
  const results = await restoreArchives(deps, keys, dir, {
    ...range,
    prepare: (key) => thawing(deps, key, opts),
    onEach: () => bar.tick(),
  });
  bar.done();
  const entries = [];
  for (const r of results) entries.push(await entryOf(deps, r));
  const count = (status: RestoreResult['status']) => results.filter((r) => r.status === status).length;
  const [restored, failed, outside] = [count('restored'), count('failed'), count('outside-range')];
  for (const line of entries.flatMap(linesOf)) process.stderr.write(`${line}\n`);
  if (opts.json) printJson({ restored, failed, outsideRange: outside, results: entries });
  const beyond = outside ? `; ${outside} outside the range by their authenticated time` : '';
  if (!opts.json && restored > 0)
    process.stderr.write(
      `restored ${restored} of ${keys.length} archive(s) to ${forTerminal(dir)}; every SHA-256 verified${beyond}\n`,
    );
  if (failed) throw new CliError(`${failed} archive(s) could not be restored`);
  if (restored === 0)
    throw new CliError(`no archives of source ${forTerminal(`${opts.source}`)} in that range${beyond}`);
}

const thawing = (deps: ReadDeps, key: string, opts: RestoreOpts) =>
  thaw(deps, key, {
    wait: Boolean(opts.wait),
    tier: opts.tier as Tier,
    onWaiting: (e) =>
      process.stderr.write(`${forTerminal(key)}: waiting for the S3 restore from ${e.storageClass}...\n`),
  });

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('decrypt, decompress and verify archived logs (SHA-256 against the authenticated original)')
    .argument('[archive-key]', 'one archive key (the ARCHIVE KEY column of `logvault ls`)')
    .option('-s, --source <name>', 'restore every archive of this source')
    .option('--from <iso>', 'with --source: source objects modified at or after this time')
    .option('--to <iso>', 'with --source: source objects modified at or before this time')
    .option(
      '-o, --output <dir>',
      'write files under DIR at their original keys (default for one archive: stdout)',
    )
    .option('--wait', 'for archives in GLACIER or DEEP_ARCHIVE: start the S3 restore and wait for it')
    .option('--tier <tier>', 'S3 restore tier for cold archives: Expedited, Standard or Bulk', 'Standard')
    .option('--json', 'with -o: a machine-readable summary on stdout')
    .addHelpText('after', HELP)
    .action(async (archiveKey: string | undefined, opts: RestoreOpts) => {
      usage(archiveKey, opts);
      const { from, to } = parseRange(opts);
      const range = {
        ...(opts.source ? { source: opts.source } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      };
      const target = await resolveTarget(program.opts());
      const deps = readDeps(target);
      if (opts.output) {
        await openOutputRoot(opts.output).catch((error: Error) => {
          throw new CliError(`-o: ${forTerminal(error.message)}`);
        });
      }
      const keys = await selectArchives(deps, archiveKey, range);
      if (opts.output) return toDirectory(deps, keys, opts.output, opts, range);
      if (keys.length > 1)
        throw new CliError(`${keys.length} archives match: pass -o DIR to restore them to files`, 2);
      const key = keys[0] as string;
      try {
        await thawing(deps, key, opts);
        await restoreToStream(deps, key, process.stdout, range);
      } catch (error) {
        process.stderr.write(`restore failed: ${forTerminal(await failure(deps, key, error))}\n`);
        throw new CliError('1 archive could not be restored');
      }
    });
}
