import type { Tier } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { thaw } from '#shared/archive/cold.ts';
import type { LedgerDeps } from '#shared/archive/member-ledger.ts';
import type { ReadDeps } from '#shared/archive/open-archive.ts';
import { openOutputRoot } from '#shared/archive/output-dir.ts';
import { parsePackKey } from '#shared/archive/pack-format.ts';
import {
  type RestoreOptions,
  type RestoreResult,
  restoreArchives,
  restoreToStream,
} from '#shared/archive/restore.ts';
import { UnsafeOutputError } from '#shared/errors.ts';
import { type LogRestoreReport, restoreLogs, restorePack } from '#shared/logs/restore-logs.ts';
import { describeFailure } from '../archive-failure.ts';
import { ledgerDeps, readDeps } from '../clients.ts';
import { gonePackLine, missingBatchLine } from '../log-lines.ts';
import { CliError, parseRange, printJson, progress } from '../output.ts';
import { resolveTarget } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

interface RestoreOpts {
  source?: string;
  path?: string;
  allowGaps?: boolean;
  owners?: boolean;
  from?: string;
  to?: string;
  output?: string;
  wait?: boolean;
  tier: string;
  json?: boolean;
}

const HELP = `
Logs (--source):
  Each log generation is written as ONE file: a log shipped by a logvault shipper is reassembled
  from its segments (whichever packs or archives hold them), each checked against its SHA-256, at
  its true byte offsets; overlapping segments must agree. An object not made by a shipper is a log
  of its own. Mode and modification time are those recorded at ship time (owners only with
  --owners, as root). A hole (bytes no archive holds, bytes the host lost, a batch that a later
  batch names but no archive holds) is named with its byte range and makes the restore exit 1;
  with --allow-gaps the generation is written anyway, holes left as zeros, and named.

Where files go (-o DIR):
  Each log is written at DIR/<source>/<path> (shipped logs: their path on the host; objects: their
  key below the source), taken from the authenticated context or pack index, and only once every
  SHA-256 is proved. Nothing is written through a symbolic link inside DIR, and no existing file is
  replaced: such a path is refused and named. Logs that restore to one path each get a suffix:
  shipped generations ".<generation id>" (YYYYMMDDTHHMMSSZ-xxxxxxxx: first seen, UTC, and the file's
  identity); objects (two versions of a key, or "a//b" and "a/b") ".<YYYYMMDDTHHMMSSZ>" (the
  source's modification time, UTC), plus "-<first 8 hex digits of the archive id>" where two share
  a second. A name over 255 bytes is cut and ends in "~<hex digest>".

An archive key: a v1 archive restores its one object (to stdout without -o); a pack (pack/...)
restores every member it holds, grouped into logs (bytes of them in other archives are named, not
failed).

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
  if (!opts.source && (opts.from || opts.to || opts.path))
    throw bad('--from, --to and --path go with --source');
  if (opts.source && !opts.output) throw bad('--source needs -o DIR (one file per log)');
  if (archiveKey && parsePackKey(archiveKey) && !opts.output)
    throw bad('a pack holds many logs: pass -o DIR to restore them to files');
  if (opts.json && !opts.output)
    throw bad('--json needs -o DIR: without it, stdout carries the restored log');
  if (!['Expedited', 'Standard', 'Bulk'].includes(opts.tier)) {
    throw new CliError(`--tier: ${JSON.stringify(opts.tier)} is not one of Expedited, Standard, Bulk`, 2);
  }
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
  if (r.status === 'not-selected') return { archiveKey, status, originalKey: r.originalKey };
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

const failure = (deps: ReadDeps & { ledger?: LedgerDeps }, key: string, error: unknown) =>
  error instanceof UnsafeOutputError
    ? Promise.resolve(`${key}: ${error.message}`)
    : describeFailure(deps.s3, deps.bucket, key, error, deps.ledger);

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

/** One restored log in the --json summary: the log, where it went, and what holds it. */
function logEntry(l: LogRestoreReport['logs'][number]) {
  const status = l.written ? 'restored' : l.failures.length ? 'failed' : 'gaps';
  return {
    status,
    kind: l.kind,
    source: l.source,
    log: l.path,
    generation: l.generation,
    ...(l.kind === 'object' ? { originalKey: `${l.source}/${l.path}` } : {}),
    ...(l.archives.length === 1 ? { archiveKey: l.archives[0] } : {}),
    archives: l.archives,
    members: l.members,
    bytes: l.bytes,
    ...(l.file !== undefined ? { path: l.file, renamed: l.renamed, shortened: l.shortened } : {}),
    gaps: l.gaps,
    notes: l.notes,
    ...(l.failures.length ? { error: l.failures.join('; ') } : {}),
  };
}

const rangeText = (g: { start: number; end: number }) => `bytes [${g.start}, ${g.end})`;

/** What a person reads on stderr about one log, beyond the summary line. */
function logLines(l: LogRestoreReport['logs'][number]): string[] {
  const name = forTerminal(`${l.source} ${l.path} (${l.generation})`);
  return [
    ...l.failures.map((f) => `restore failed: ${forTerminal(f)}`),
    ...l.gaps.map((g) => `${name}: gap ${rangeText(g)}: ${forTerminal(g.why)}`),
    ...(l.gaps.length && !l.written && !l.failures.length
      ? [`${name}: not written (gaps; --allow-gaps writes it with holes)`]
      : []),
    ...(l.gaps.length && l.written
      ? [`${name}: written with holes as zeros: ${forTerminal(l.file ?? '')}`]
      : []),
    ...(l.renamed ? [`${name}: restored as ${forTerminal(l.file ?? '')} (other logs share its path)`] : []),
    ...(l.shortened ? [`${name}: name cut to 255 bytes: ${forTerminal(l.file ?? '')}`] : []),
    ...l.notes.map((n) => `${forTerminal(l.archives[0] ?? '')}: ${forTerminal(n)}`),
  ];
}

/** Prints a logs restore's outcome and fails as its gaps and failures say. */
function reportLogs(report: LogRestoreReport, dir: string, opts: RestoreOpts, what: string): void {
  const logs = report.logs;
  const restored = logs.filter((l) => l.written).length;
  const failed = logs.filter((l) => l.failures.length > 0).length;
  const withGaps = logs.filter((l) => l.gaps.length > 0).length;
  const missing = [...report.missing.map(missingBatchLine), ...report.gonePacks.map(gonePackLine)];
  for (const line of [...logs.flatMap(logLines), ...missing]) process.stderr.write(`${line}\n`);
  if (opts.json)
    printJson({
      restored,
      failed,
      withGaps,
      outsideRange: report.notSelected,
      missingBatches: report.missing,
      gonePacks: report.gonePacks,
      results: logs.map(logEntry),
    });
  else if (restored > 0)
    process.stderr.write(
      `restored ${restored} of ${logs.length} log(s) to ${forTerminal(dir)}; every SHA-256 verified` +
        `${withGaps ? `; ${withGaps} with gaps` : ''}\n`,
    );
  if (failed) throw new CliError(`${failed} log(s) could not be restored`);
  const gapsHurt =
    !opts.allowGaps && (logs.some((l) => l.gaps.length > 0 && !l.written) || missing.length > 0);
  if (gapsHurt) throw new CliError('some logs have gaps (named above); --allow-gaps writes what exists');
  if (restored === 0) throw new CliError(`no archives of ${what} in that range`);
}

async function restoreSource(deps: ReadDeps & { ledger: LedgerDeps }, dir: string, opts: RestoreOpts) {
  const { from, to } = parseRange(opts);
  const source = opts.source as string;
  const report = await restoreLogs(deps, source, dir, {
    ...(opts.path !== undefined ? { path: opts.path } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    allowGaps: Boolean(opts.allowGaps),
    owners: Boolean(opts.owners),
    prepare: (key) => thawing(deps, key, opts),
  });
  reportLogs(report, dir, opts, `source ${forTerminal(source)}`);
}

async function restorePackKey(deps: ReadDeps, key: string, dir: string, opts: RestoreOpts) {
  let report: LogRestoreReport;
  try {
    report = await restorePack(deps, key, dir, {
      owners: Boolean(opts.owners),
      prepare: (k) => thawing(deps, k, opts),
    });
  } catch (error) {
    const why = forTerminal(await failure(deps, key, error));
    if (opts.json)
      printJson({ restored: 0, failed: 1, results: [{ archiveKey: key, status: 'failed', error: why }] });
    process.stderr.write(`restore failed: ${why}\n`);
    throw new CliError('1 archive could not be restored');
  }
  reportLogs(report, dir, { ...opts, allowGaps: true }, forTerminal(key));
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
    .option('-s, --source <name>', 'restore every log of this source')
    .option('--path <glob>', 'with --source: only logs whose path (or key below the source) matches')
    .option('--from <iso>', 'with --source: logs shipped (objects: modified) at or after this time')
    .option('--to <iso>', 'with --source: logs shipped (objects: modified) at or before this time')
    .option('--allow-gaps', 'write logs with gaps too, holes as zeros (still named)')
    .option('--owners', 'as root: give files the owner recorded at ship time')
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
      const target = await resolveTarget(program.opts());
      const deps = { ...readDeps(target), ledger: ledgerDeps(target) };
      if (opts.output) {
        await openOutputRoot(opts.output).catch((error: Error) => {
          throw new CliError(`-o: ${forTerminal(error.message)}`);
        });
      }
      if (opts.source && opts.output) return restoreSource(deps, opts.output, opts);
      // From here on, one archive key (usage() saw to it).
      const key = archiveKey as string;
      if (parsePackKey(key) && opts.output) return restorePackKey(deps, key, opts.output, opts);
      if (opts.output) return toDirectory(deps, [key], opts.output, opts, {});
      try {
        await thawing(deps, key, opts);
        await restoreToStream(deps, key, process.stdout);
      } catch (error) {
        process.stderr.write(`restore failed: ${forTerminal(await failure(deps, key, error))}\n`);
        throw new CliError('1 archive could not be restored');
      }
    });
}
