import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { describeFsError } from '../fs-errors.ts';
import { CliError, printJson, usageError } from '../output.ts';
import { resolveTarget } from '../target.ts';

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function registerInvoke(program: Command): void {
  program
    .command('invoke')
    .description('run one function of the local pipeline with an event, e.g. one of events/*.json')
    .argument('<function>', 'function name as in serverless.yml (ingest, archive, sweep, api, provision)')
    .option('-p, --path <file>', 'JSON file with the event (default: {})')
    .option(
      '--json',
      "print {function, ok, result} on stdout (without it: the function's result as it answered)",
    )
    .action(async (name: string, opts: { path?: string; json?: boolean }) => {
      const event = opts.path
        ? await readFile(opts.path, 'utf8').catch((error: unknown) => {
            throw usageError(`--path: ${describeFsError(error, opts.path)}`);
          })
        : '{}';
      if (typeof parsed(event) === 'string') throw usageError(`--path: ${opts.path} does not hold JSON`);
      const target = await resolveTarget(program.opts());
      if (target.kind !== 'local' || !target.apiUrl) {
        throw usageError('invoke runs against `logvault dev`; for a deployed stage use `aws lambda invoke`');
      }
      const res = await fetch(
        `${target.apiUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
        { method: 'POST', body: event },
      );
      const text = await res.text();
      if (res.status === 404) throw usageError(`no function named ${name}`);
      const ok = res.status === 200 && !res.headers.get('x-amz-function-error');
      if (opts.json) printJson({ function: name, ok, result: parsed(text) });
      else process.stdout.write(`${text}\n`);
      if (!ok) throw new CliError(`${name} failed`);
    });
}
