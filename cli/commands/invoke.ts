import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { CliError } from '../output.ts';
import { resolveTarget } from '../target.ts';

export function registerInvoke(program: Command): void {
  program
    .command('invoke')
    .description('run one function of the local pipeline with an event, e.g. one of events/*.json')
    .argument('<function>', 'function name as in serverless.yml (ingest, archive, ...)')
    .option('-p, --path <file>', 'JSON file with the event (default: {})')
    .action(async (name: string, opts: { path?: string }) => {
      const target = await resolveTarget(program.opts());
      if (target.kind !== 'local' || !target.apiUrl) {
        throw new CliError(
          'invoke runs against `logvault dev`; for a deployed stage use `aws lambda invoke`',
          2,
        );
      }
      const body = opts.path
        ? await readFile(opts.path, 'utf8').catch(() => {
            throw new CliError(`--path: cannot read ${opts.path}`, 2);
          })
        : '{}';
      const res = await fetch(
        `${target.apiUrl}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`,
        { method: 'POST', body },
      );
      const text = await res.text();
      if (res.status === 404) throw new CliError(`no function named ${name}`, 2);
      process.stdout.write(`${text}\n`);
      if (res.status !== 200 || res.headers.get('x-amz-function-error')) throw new CliError(`${name} failed`);
    });
}
