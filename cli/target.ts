import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { useEmulator } from '#local/cloud.ts';
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

export function writeDevState(state: DevState, file = devStateFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`);
}

export function clearDevState(): void {
  rmSync(devStateFile, { force: true });
}

/** True while a process with this pid exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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
    const state = JSON.parse(readFileSync(devStateFile, 'utf8')) as DevState;
    if (!isRunning(state.pid)) {
      throw new CliError(
        `the local pipeline (pid ${state.pid}) is no longer running: start it with 'logvault dev'`,
      );
    }
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
