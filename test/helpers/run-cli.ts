import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { devStateOf, writeDevState } from '#cli/target.ts';
import type { LocalCloud } from '#local/cloud.ts';

export const cliBin = join(import.meta.dirname, '..', '..', 'bin', 'logvault.mjs');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `bin/logvault.mjs` as a user does and answers its exit code and output, whatever the code
 * (a test asserts it). `env` is added to the test's own environment.
 */
export function runCli(args: string[], opts: { env?: Record<string, string>; input?: string } = {}) {
  return new Promise<CliRun>((done, fail) => {
    const child = spawn(process.execPath, [cliBin, ...args], {
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** Parses the one JSON document a `--json` run printed on stdout; fails the test with the output if it does not parse. */
export function jsonOf(run: CliRun): unknown {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(
      `stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`,
    );
  }
}

/**
 * What `logvault dev` leaves for the CLI to find, pointing at this run's local cloud: a CLI run
 * with `LOGVAULT_STATE_DIR=devDir` reaches it.
 */
export function pointCliAt(cloud: LocalCloud, devDir: string): void {
  writeDevState(devStateOf(cloud), join(devDir, 'dev.json'));
}
