import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { type LocalCloud, startLocalCloud } from '#local/cloud.ts';
import { routeHandlerLogs } from '../dev-log.ts';
import { CliError } from '../output.ts';
import {
  claimDevState,
  clearDevState,
  devStateDir,
  devStateOf,
  projectPath,
  writeDevState,
} from '../target.ts';

interface DevOpts {
  apiPort?: number;
  retryDelay: number;
  quiet?: boolean;
  endpoint?: string;
  json?: boolean;
  logFile?: string;
}

const whole = (min: number) => (value: string) => {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min)
    throw new InvalidArgumentError(`must be a whole number of at least ${min}`);
  return n;
};

/** The ready line: endpoints and resource names, as text or (with --json) one JSON object. */
function readyLine(cloud: LocalCloud, seconds: number, json?: boolean): string {
  const o = cloud.outputs;
  const queues = cloud.functions.queues.map((q) => q.queueUrl.split('/').pop() ?? q.queueUrl);
  const functions = cloud.functions.functions.map((f) => f.name);
  if (json) {
    const ready = {
      event: 'ready',
      seconds,
      pid: process.pid,
      aws: cloud.endpoint,
      api: cloud.apiUrl ?? null,
    };
    const names = {
      ingest: `s3://${o.IngestBucketName}`,
      archive: `s3://${o.ArchiveBucketName}`,
      queues,
      functions,
    };
    return `${JSON.stringify({ ...ready, ...names })}\n`;
  }
  return (
    `logvault dev ready in ${seconds.toFixed(1)}s: aws=${cloud.endpoint} api=${cloud.apiUrl ?? '-'} ` +
    `ingest=s3://${o.IngestBucketName} archive=s3://${o.ArchiveBucketName} ` +
    `queues=${queues.join(',')} functions=${functions.join(',')}\n`
  );
}

async function runDev(opts: DevOpts): Promise<void> {
  const started = Date.now();
  if (!opts.endpoint) {
    // moto lives in the project's own virtualenv; install what the pipeline needs on first use.
    const setup = spawnSync('bash', [projectPath('scripts', 'python-env.sh'), 'demo'], {
      stdio: ['ignore', 2, 2],
    });
    if (setup.status !== 0)
      throw new CliError('could not install the local AWS emulator (scripts/python-env.sh demo failed)');
  }
  const print = routeHandlerLogs({
    json: Boolean(opts.json),
    quiet: Boolean(opts.quiet),
    ...(opts.logFile ? { logFile: opts.logFile } : {}),
  });
  const cloud = await startLocalCloud({
    ...(opts.endpoint ? { endpoint: opts.endpoint, stackFile: join(devStateDir, 'stack.json') } : {}),
    ...(opts.apiPort ? { apiPort: opts.apiPort } : {}),
    retryDelaySeconds: opts.retryDelay,
    onEvent: opts.quiet ? undefined : (line) => process.stderr.write(`[logvault dev] ${line}\n`),
  });
  writeDevState(devStateOf(cloud));
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
  print(readyLine(cloud, (Date.now() - started) / 1000, opts.json));
  // Keep running until a signal arrives.
  await new Promise(() => undefined);
}

export function registerDev(program: Command): void {
  program
    .command('dev')
    .description(
      "run the whole pipeline locally: moto, the stack's resources, and every function on its trigger",
    )
    .option('--api-port <port>', 'port for the local HTTP API (default: a free port)', whole(1))
    .option('--retry-delay <seconds>', 'seconds before a failed SQS message is retried locally', whole(0), 1)
    .option('--quiet', "print only the ready line: no batch lines, no handlers' log lines")
    .option(
      '--endpoint <url>',
      'use an emulator that is already running; a restart against it resumes the same stack and queues',
    )
    .option(
      '--json',
      "print the ready line and the handlers' log records as JSON lines (else one short line each)",
    )
    .option('--log-file <path>', "also append the handlers' JSON log and metrics records to this file")
    .action(async (opts: DevOpts) => {
      claimDevState();
      try {
        await runDev(opts);
      } catch (error) {
        clearDevState();
        throw error;
      }
    });
}
