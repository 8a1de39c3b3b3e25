import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const venvBin = resolve(import.meta.dirname, '..', '.venv', 'bin');

export interface ShipperRun {
  /** The shipper script (bash) to run, as an instance's user data installs it. */
  readonly script: string;
  readonly endpoint: string;
  readonly region: string;
  readonly ingestBucket: string;
  readonly instanceId: string;
  /** Absolute globs, as LOGVAULT_LOG_PATHS takes them. */
  readonly logPaths: string[];
  readonly stateDir: string;
}

/**
 * Runs an instance's shipper once on this machine against the local cloud: the instance id is
 * given (there is no IMDS here) and the AWS CLI is the project virtualenv's.
 */
export async function runShipperOnce(opts: ShipperRun): Promise<{ stdout: string; stderr: string }> {
  return run('bash', ['-c', opts.script, 'logvault-ship'], {
    env: {
      PATH: `${venvBin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? '/tmp',
      AWS_ENDPOINT_URL: opts.endpoint,
      AWS_REGION: opts.region,
      AWS_DEFAULT_REGION: opts.region,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      LOGVAULT_INGEST_BUCKET: opts.ingestBucket,
      LOGVAULT_INSTANCE_ID: opts.instanceId,
      LOGVAULT_LOG_PATHS: opts.logPaths.join('\n'),
      LOGVAULT_STATE_DIR: opts.stateDir,
      LOGVAULT_RETRY_DELAY: '0',
    },
  });
}
