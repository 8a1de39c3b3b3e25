import type { Tier } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import { thaw } from '#shared/archive/cold.ts';
import type { LogLabel, StreamedLog, StreamReport } from '#shared/logs/stream-logs.ts';
import { streamLogs } from '#shared/logs/stream-logs.ts';
import { ledgerDeps, readDeps } from '../clients.ts';
import { gonePackLine, missingBatchLine } from '../log-lines.ts';
import { CliError, parseRange, progress } from '../output.ts';
import { resolveTarget } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

interface StreamOpts {
  source: string;
  path?: string;
  from?: string;
  to?: string;
  allowGaps?: boolean;
  wait?: boolean;
  tier: string;
}

/** Writes to stdout, waiting when the reader is slower (bounded memory). */
function toStdout(bytes: Buffer | string): Promise<void> {
  return new Promise((done, fail) => {
    process.stdout.write(bytes, (error) => (error ? fail(error) : done()));
  });
}

/** Names what could not be streamed on stderr, and fails as restore would. */
function finish(report: StreamReport, opts: StreamOpts): void {
  const name = (l: StreamedLog) => forTerminal(`${l.source} ${l.path} (${l.generation})`);
  for (const l of report.logs) {
    for (const f of l.failures) process.stderr.write(`failed: ${forTerminal(f)}\n`);
    for (const g of l.gaps)
      process.stderr.write(`${name(l)}: gap bytes [${g.start}, ${g.end}): ${forTerminal(g.why)} (skipped)\n`);
  }
  for (const m of report.missing) process.stderr.write(`${missingBatchLine(m)}\n`);
  for (const g of report.gonePacks) process.stderr.write(`${gonePackLine(g)}\n`);
  const failed = report.logs.filter((l) => l.failures.length > 0).length;
  if (failed) throw new CliError(`${failed} log(s) failed a check (named above)`);
  const gaps =
    report.logs.some((l) => l.gaps.length > 0) || report.missing.length > 0 || report.gonePacks.length > 0;
  if (gaps && !opts.allowGaps) throw new CliError('some logs have gaps (named above)');
  if (report.logs.length === 0)
    throw new CliError(`no archives of source ${forTerminal(opts.source)} in that range`);
}

async function run(
  program: Command,
  opts: StreamOpts,
  write: (bytes: Buffer, log: LogLabel) => Promise<void>,
  end: () => Promise<void> = async () => undefined,
) {
  const { from, to } = parseRange(opts);
  const target = await resolveTarget(program.opts());
  const deps = { ...readDeps(target), ledger: ledgerDeps(target) };
  const bar = progress(undefined, 'reading', { bytes: true });
  const report = await streamLogs(deps, opts.source, {
    ...(opts.path !== undefined ? { path: opts.path } : {}),
    ...(from ? { from } : {}),
    ...(to ? { to } : {}),
    prepare: (key) =>
      thaw(deps, key, {
        wait: Boolean(opts.wait),
        tier: opts.tier as Tier,
        onWaiting: (e) =>
          process.stderr.write(`${forTerminal(key)}: waiting for the S3 restore from ${e.storageClass}...\n`),
      }),
    write: async (bytes, log) => {
      bar.bytes(bytes.length);
      await write(bytes, log);
    },
    onLog: (l) => bar.tick(`${l.path}`),
  });
  await end();
  bar.done();
  finish(report, opts);
}

const selection = (cmd: Command) =>
  cmd
    .requiredOption('-s, --source <name>', 'the source whose logs to read')
    .option('--path <glob>', 'only logs whose path (or key below the source) matches')
    .option('--from <iso>', 'logs shipped (objects: modified) at or after this time')
    .option('--to <iso>', 'logs shipped (objects: modified) at or before this time')
    .option('--allow-gaps', 'exit 0 even when logs have gaps (they are skipped and named either way)')
    .option('--wait', 'for archives in GLACIER or DEEP_ARCHIVE: start the S3 restore and wait for it')
    .option('--tier <tier>', 'S3 restore tier for cold archives: Expedited, Standard or Bulk', 'Standard');

/** Splits streamed bytes into lines per log; a line is never joined across two logs. */
function lineSplitter(onLine: (line: string, log: LogLabel) => Promise<void>) {
  let rest = '';
  let current: LogLabel | undefined;
  const same = (a: LogLabel, b: LogLabel) =>
    a.source === b.source && a.path === b.path && a.generation === b.generation;
  return {
    async write(bytes: Buffer, log: LogLabel) {
      if (current && !same(current, log)) await this.end();
      current = log;
      const lines = (rest + bytes.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) await onLine(line, log);
    },
    async end() {
      if (rest && current) await onLine(rest, current);
      rest = '';
    },
  };
}

export function registerCat(program: Command): void {
  selection(
    program
      .command('cat')
      .description('stream logs to stdout, reassembled and verified, in order; nothing is written to disk'),
  )
    .addHelpText(
      'after',
      '\nEach log generation in order of path and generation, its bytes in order; each member is\n' +
        'checked against its SHA-256 before its bytes are written. Holes are skipped and named on stderr.',
    )
    .action((opts: StreamOpts) => run(program, opts, (bytes) => toStdout(bytes)));

  selection(
    program
      .command('grep')
      .description('print the lines of logs that match a pattern, prefixed with source and path')
      .argument('<pattern>', 'a JavaScript regular expression'),
  )
    .option('-i, --ignore-case', 'match without regard to case')
    .action(async (pattern: string, opts: StreamOpts & { ignoreCase?: boolean }) => {
      let re: RegExp;
      try {
        re = new RegExp(pattern, opts.ignoreCase ? 'i' : '');
      } catch (error) {
        throw new CliError(`grep: ${forTerminal((error as Error).message)}`, 2);
      }
      const lines = lineSplitter(async (line, log) => {
        if (re.test(line)) await toStdout(`${forTerminal(log.source)}:${forTerminal(log.path)}: ${line}\n`);
      });
      await run(
        program,
        opts,
        (bytes, log) => lines.write(bytes, log),
        () => lines.end(),
      );
    });
}
