import type { Command } from 'commander';
import { createS3 } from '#shared/clients/aws.ts';
import { collectFiles, shipFile } from '#shared/ingest/ship.ts';
import { CliError, humanBytes, printJson, progress } from '../output.ts';
import { output, resolveTarget } from '../target.ts';

const SOURCE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function registerShip(program: Command): void {
  program
    .command('ship')
    .description('upload local log files into the ingest bucket under <source>/, as an instance does')
    .argument('<paths...>', 'files or directories (directories are walked; keys keep their relative paths)')
    .requiredOption('-s, --source <name>', 'source name: an instance id or an application name')
    .option('--json', 'machine-readable output')
    .action(
      async (paths: string[], opts: { source: string; json?: boolean; stage?: string; region?: string }) => {
        if (!SOURCE.test(opts.source)) {
          throw new CliError(
            `--source: ${JSON.stringify(opts.source)} must be 1-128 letters, digits, '.', '_' or '-'`,
            2,
          );
        }
        const target = await resolveTarget(program.opts());
        const files = await collectFiles(paths).catch((error: Error) => {
          throw new CliError(`cannot read ${error.message.replace(/^.*?: /, '')}`, 2);
        });
        if (files.length === 0) throw new CliError('nothing to ship: no files found', 2);
        const s3 = createS3();
        const bucket = output(target, 'IngestBucketName');
        const bar = progress(files.length, 'shipping');
        const shipped = [];
        for (const f of files) {
          shipped.push({ file: f.path, key: await shipFile(s3, bucket, opts.source, f), bytes: f.size });
          bar.tick(f.relativeKey);
        }
        bar.done();
        const total = files.reduce((n, f) => n + f.size, 0);
        if (opts.json) printJson({ bucket, shipped });
        else
          process.stdout.write(
            `shipped ${files.length} file(s), ${humanBytes(total)}, to s3://${bucket}/${opts.source}/\n`,
          );
      },
    );
}
