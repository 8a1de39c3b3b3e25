import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { type LocalCloud, useEmulator } from '#local/cloud.ts';
import { CliError } from './output.ts';

/** Names the CLI needs, from the local pipeline's state file or a deployed stack's outputs. */
export interface Target {
  readonly kind: 'local' | 'aws';
  readonly stage: string;
  readonly region: string;
  readonly apiUrl?: string;
  readonly outputs: Record<string, string>;
}

/** Where `logvault dev` keeps its state: `.logvault/` in the project, or LOGVAULT_STATE_DIR. */
export const devStateDir = resolve(
  process.env.LOGVAULT_STATE_DIR ?? join(import.meta.dirname, '..', '.logvault'),
);
export const devStateFile = join(devStateDir, 'dev.json');

interface DevState extends Target {
  readonly endpoint: string;
  readonly pid: number;
}

/** What the state file holds: a running pipeline's state, or a claim while it starts. */
type DevClaim = Partial<DevState> & { readonly pid: number };

function readDevState(): DevClaim | undefined {
  try {
    return JSON.parse(readFileSync(devStateFile, 'utf8')) as DevClaim;
  } catch {
    return undefined;
  }
}

/**
 * Claims the state file for this process before `logvault dev` starts anything, so that a second
 * one in the same checkout is refused instead of silently taking the file over (and removing it
 * when it stops, while the first still runs). A claim whose process is gone is taken over.
 */
export function claimDevState(): void {
  mkdirSync(devStateDir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(devStateFile, `${JSON.stringify({ pid: process.pid })}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const other = readDevState();
    if (other && other.pid !== process.pid && isRunning(other.pid)) {
      const where = other.endpoint ? `aws=${other.endpoint} api=${other.apiUrl ?? '-'}` : 'still starting';
      throw new CliError(
        `logvault dev is already running for this checkout (pid ${other.pid}, ${where}): ` +
          'use that pipeline, stop it first, or set LOGVAULT_STATE_DIR to run a second one',
      );
    }
    rmSync(devStateFile, { force: true });
  }
  throw new CliError(`cannot claim ${devStateFile}: another logvault dev keeps taking it`);
}

/** What the CLI needs to reach a running local cloud, as `logvault dev` records it. */
export function devStateOf(cloud: LocalCloud): DevState {
  return {
    kind: 'local',
    stage: cloud.stage,
    region: cloud.region,
    endpoint: cloud.endpoint,
    pid: process.pid,
    outputs: cloud.outputs,
    ...(cloud.apiUrl ? { apiUrl: cloud.apiUrl } : {}),
  };
}

export function writeDevState(state: DevState, file = devStateFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

/** Removes the state file, unless another process has claimed it since. */
export function clearDevState(): void {
  const state = readDevState();
  if (!state || state.pid === process.pid) rmSync(devStateFile, { force: true });
}

/** True while a process with this pid exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Without --stage the CLI talks to the pipeline `logvault dev` is running; with --stage it reads
 * the deployed stack `logvault-<stage>` through the normal AWS credential chain.
 */
export async function resolveTarget(opts: { stage?: string; region?: string }): Promise<Target> {
  if (!opts.stage) {
    if (!existsSync(devStateFile)) {
      throw new CliError(
        "no local pipeline is running: start one with 'logvault dev', or pass --stage NAME for a deployed stage",
      );
    }
    const claim = readDevState();
    if (!claim || !isRunning(claim.pid)) {
      throw new CliError(
        `the local pipeline (pid ${claim?.pid ?? '?'}) is no longer running: start it with 'logvault dev'`,
      );
    }
    if (!claim.endpoint) {
      throw new CliError(`the local pipeline (pid ${claim.pid}) is still starting: wait for its ready line`);
    }
    const state = claim as DevState;
    useEmulator(state.endpoint, state.region);
    return {
      kind: 'local',
      stage: state.stage,
      region: state.region,
      outputs: state.outputs,
      ...(state.apiUrl ? { apiUrl: state.apiUrl } : {}),
    };
  }
  const region = opts.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const stackName = `logvault-${opts.stage}`;
  const cfn = new CloudFormationClient({ region });
  const res = await cfn.send(new DescribeStacksCommand({ StackName: stackName })).catch((error: Error) => {
    throw new CliError(`cannot read stack ${stackName} in ${region}: ${error.message}`);
  });
  const outputs = Object.fromEntries(
    (res.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
  );
  process.env.AWS_REGION = region;
  return {
    kind: 'aws',
    stage: opts.stage,
    region,
    outputs,
    ...(outputs.HttpApiUrl ? { apiUrl: outputs.HttpApiUrl } : {}),
  };
}

export function output(target: Target, name: string): string {
  const value = target.outputs[name];
  if (!value) throw new CliError(`stage ${target.stage} has no output ${name}`);
  return value;
}

export const projectPath = (...parts: string[]) => join(resolve(import.meta.dirname, '..'), ...parts);
