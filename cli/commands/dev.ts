import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { startLocalCloud } from '#local/cloud.ts';
import { CliError } from '../output.ts';
import { clearDevState, devStateDir, projectPath, writeDevState } from '../target.ts';

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      "run the whole pipeline locally: moto, the stack's resources, and every function on its trigger",
    )
    .option('--api-port <port>', 'port for the local HTTP API (default: a free port)', Number)
    .option('--retry-delay <seconds>', 'seconds before a failed SQS message is retried locally', Number, 1)
    .option('--quiet', 'do not log each batch')
    .option(
      '--endpoint <url>',
      'use an emulator that is already running; a restart against it resumes the same stack and queues',
    )
    .action(async (opts: { apiPort?: number; retryDelay: number; quiet?: boolean; endpoint?: string }) => {
      const started = Date.now();
      if (!opts.endpoint) {
        // moto and the template tools live in the project's own virtualenv; install them on first use.
        const setup = spawnSync('bash', [projectPath('scripts', 'python-env.sh')], {
          stdio: ['ignore', 2, 2],
        });
        if (setup.status !== 0)
          throw new CliError('could not install the local AWS emulator (scripts/python-env.sh failed)');
      }
      const cloud = await startLocalCloud({
        ...(opts.endpoint ? { endpoint: opts.endpoint, stackFile: join(devStateDir, 'stack.json') } : {}),
        ...(opts.apiPort ? { apiPort: opts.apiPort } : {}),
        retryDelaySeconds: opts.retryDelay,
        onEvent: opts.quiet ? undefined : (line) => process.stderr.write(`[logvault dev] ${line}\n`),
      });
      writeDevState({
        kind: 'local',
        stage: cloud.stage,
        region: cloud.region,
        endpoint: cloud.endpoint,
        pid: process.pid,
        outputs: cloud.outputs,
        ...(cloud.apiUrl ? { apiUrl: cloud.apiUrl } : {}),
      });
      let stopping = false;
      const stop = async (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stderr.write(`[logvault dev] ${signal}: stopping\n`);
        clearDevState();
        await cloud.stop();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop('SIGINT'));
      process.on('SIGTERM', () => void stop('SIGTERM'));
      const o = cloud.outputs;
      process.stdout.write(
        `logvault dev ready in ${((Date.now() - started) / 1000).toFixed(1)}s: aws=${cloud.endpoint} api=${cloud.apiUrl ?? '-'} ` +
          `ingest=s3://${o.IngestBucketName} archive=s3://${o.ArchiveBucketName} ` +
          `queues=${cloud.functions.queues.map((q) => q.queueUrl.split('/').pop()).join(',')} ` +
          `functions=${cloud.functions.functions.map((f) => f.name).join(',')}\n`,
      );
      // Keep running until a signal arrives.
      await new Promise(() => undefined);
    });
}
