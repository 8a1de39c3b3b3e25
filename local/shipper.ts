import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const venvBin = join(root, '.venv', 'bin');
/** The project's Node 24 (the `node` package): what runs the bundle here, as an instance's Node runs it there. */
export const projectNode = join(root, 'node_modules', '.bin', 'node');

export interface ShipperRun {
  /** The bundled shipper as user data installs it (SHIPPER_BUNDLE). */
  readonly bundle: string;
  readonly endpoint: string;
  readonly region: string;
  readonly ingestBucket: string;
  readonly instanceId: string;
  /** Absolute globs, as LOGVAULT_LOG_PATHS takes them. */
  readonly logPaths: readonly string[];
  readonly stateDir: string;
  /** More settings, or settings to override (an empty value unsets one). */
  readonly env?: Readonly<Record<string, string>>;
  /** Directories searched before the project's virtualenv for commands (`aws`). */
  readonly pathPrefix?: string;
}

export interface ShipperOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an instance's shipper once on this machine against the local cloud: the bundle under
 * Node, the AWS CLI from the project's virtualenv, the instance id given (there is no IMDS here).
 */
export async function runShipper(opts: ShipperRun): Promise<ShipperOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'logvault-shipper-bundle-'));
  const bundlePath = join(dir, 'ship.mjs');
  writeFileSync(bundlePath, opts.bundle);
  const env: Record<string, string> = {
    PATH: [opts.pathPrefix, venvBin, process.env.PATH ?? '/usr/bin:/bin'].filter(Boolean).join(':'),
    HOME: process.env.HOME ?? '/tmp',
    AWS_ENDPOINT_URL: opts.endpoint,
    AWS_REGION: opts.region,
    AWS_DEFAULT_REGION: opts.region,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    // Keep any real AWS configuration on this machine out of the run.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    LOGVAULT_INGEST_BUCKET: opts.ingestBucket,
    LOGVAULT_INSTANCE_ID: opts.instanceId,
    // One glob per line (a trailing newline makes even one glob a line, so it may hold spaces).
    LOGVAULT_LOG_PATHS: `${opts.logPaths.join('\n')}\n`,
    LOGVAULT_STATE_DIR: opts.stateDir,
    LOGVAULT_RETRY_DELAY: '0',
    ...opts.env,
  };
  for (const [k, v] of Object.entries(env)) if (v === '') delete env[k];
  try {
    return await new Promise((done) => {
      const child = spawn(projectNode, [bundlePath], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the shipper once and fails unless it succeeds. */
export async function runShipperOnce(opts: ShipperRun): Promise<ShipperOutcome> {
  const outcome = await runShipper(opts);
  if (outcome.code !== 0) {
    throw new Error(`logvault-ship exited ${outcome.code ?? outcome.signal}: ${outcome.stderr.trim()}`);
  }
  return outcome;
}
