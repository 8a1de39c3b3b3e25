import type { Command } from 'commander';
import { createS3 } from '#shared/clients/aws.ts';
import { collectFiles, shipFile } from '#shared/ingest/ship.ts';
import { describeFsError } from '../fs-errors.ts';
import { humanBytes, printJson, progress, usageError } from '../output.ts';
import { checkSourceName } from '../source-name.ts';
import { output, resolveTarget } from '../target.ts';
import { reportUploadedBytes } from '../upload-progress.ts';

/** Finds the files to ship, or says which path cannot be read. */
async function filesToShip(paths: string[]) {
  const files = await collectFiles(paths).catch((error: unknown) => {
    throw usageError(`cannot ship: ${describeFsError(error)}`);
  });
  if (files.length === 0) throw usageError(`nothing to ship: no files under ${paths.join(', ')}`);
  return files;
}

export function registerShip(program: Command): void {
  program
    .command('ship')
    .description('upload local log files into the ingest bucket under <source>/, as an instance does')
    .argument('<paths...>', 'files or directories (directories are walked; keys keep their relative paths)')
    .requiredOption(
      '-s, --source <name>',
      "source name: an instance id or an application name (letters, digits, '.', '_', '-'; starts with a letter or digit)",
    )
    .option('--json', 'print {bucket, source, files, bytes, shipped: [{file, key, bytes}]} on stdout')
    .action(async (paths: string[], opts: { source: string; json?: boolean }) => {
      const source = checkSourceName(opts.source);
      const files = await filesToShip(paths);
      const target = await resolveTarget(program.opts());
      const s3 = createS3();
      const bucket = output(target, 'IngestBucketName');
      const total = files.reduce((n, f) => n + f.size, 0);
      const bar = progress(files.length, 'shipping', { totalBytes: total });
      reportUploadedBytes(s3, (n) => bar.bytes(n));
      const shipped = [];
      for (const f of files) {
        bar.start(f.relativeKey);
        shipped.push({ file: f.path, key: await shipFile(s3, bucket, source, f), bytes: f.size });
        bar.tick();
      }
      bar.done();
      if (opts.json) printJson({ bucket, source, files: files.length, bytes: total, shipped });
      else
        process.stdout.write(
          `shipped ${files.length} file(s), ${humanBytes(total)}, to s3://${bucket}/${source}/\n`,
        );
    });
}
