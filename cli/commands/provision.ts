import type { Command } from 'commander';
import { instanceTypesHelp } from '../allow-list.ts';
import { apiError, callApi } from '../api.ts';
import { wholeNumber } from '../numbers.ts';
import { CliError, printJson, printTable, usageError } from '../output.ts';
import { resolveTarget, type Target } from '../target.ts';

interface ProvisionOpts {
  name: string;
  type: string;
  every: string;
  count?: string;
  policy?: string;
  image?: string;
  subnet?: string;
  securityGroup?: string[];
  logPath?: string[];
  tag?: string[];
  idempotencyKey?: string;
  wait?: boolean;
  timeout: string;
  json?: boolean;
}

type RequestState = Record<string, unknown>;

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseTags(pairs: string[] = []): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 1) throw usageError(`--tag ${JSON.stringify(pair)}: expected KEY=VALUE`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

/** The command that shows a request's progress, for the stage the user is talking to. */
function followCommand(program: Command, requestId: string): string {
  const { stage } = program.opts<{ stage?: string }>();
  return `logvault${stage ? ` --stage ${stage}` : ''} instances --request ${requestId}`;
}

async function waitForRequest(target: Target, first: RequestState, timeoutSeconds: number) {
  const deadline = Date.now() + timeoutSeconds * 1000;
  let state = first;
  while (state.status !== 'running' && state.status !== 'failed') {
    if (Date.now() > deadline)
      throw new CliError(
        `request ${String(first.requestId)} still ${String(state.status)} after ${timeoutSeconds}s`,
      );
    await new Promise((r) => setTimeout(r, 1000));
    const answer = await callApi(target, 'GET', `/instances/requests/${String(first.requestId)}`);
    if (answer.status !== 200) throw apiError(answer);
    state = answer.body;
  }
  return state;
}

/** One line for a request's state; a failed request is a failure (exit 1). */
function reportState(program: Command, state: RequestState, json?: boolean): void {
  const id = String(state.requestId);
  if (json) printJson(state);
  else if (state.status === 'failed') process.stdout.write(`request ${id} failed: ${String(state.reason)}\n`);
  else if (state.status === 'running')
    process.stdout.write(`running: ${(state.instanceIds as string[]).join(', ')} (request ${id})\n`);
  else
    process.stdout.write(
      `request ${id} ${String(state.status)}; follow it with: ${followCommand(program, id)}\n`,
    );
  if (state.status === 'failed') throw new CliError(`request ${id} failed`);
}

export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description('launch EC2 instances that back up their logs to logvault on a schedule')
    .requiredOption('--name <name>', 'instance name (also its logvault:source tag)')
    .requiredOption('--type <instanceType>', `instance type: ${instanceTypesHelp()}`)
    .requiredOption('--every <schedule>', "backup schedule: 'rate(15 minutes)' or 'cron(0 3 * * ? *)'")
    .option('--count <n>', 'how many instances (default 1; the stage sets the most per request)')
    .option('--policy <name>', 'archive policy from policies.json')
    .option('--image <amiId>', 'AMI (default: latest Amazon Linux 2023 arm64)')
    .option('--subnet <subnetId>', 'subnet to launch into')
    .option('--security-group <sgId>', 'security group (repeatable)', collect)
    .option('--log-path <glob>', 'absolute log path or glob to back up (repeatable)', collect)
    .option('--tag <key=value>', 'tag for the instances (repeatable)', collect)
    .option('--idempotency-key <key>', 'retrying with the same key launches nothing more')
    .option('--wait', 'wait until the instances are running (or the request failed)')
    .option('--timeout <seconds>', 'how long --wait waits', '300')
    .option('--json', 'print the request state as JSON')
    .action(async (opts: ProvisionOpts) => {
      const count = opts.count === undefined ? undefined : wholeNumber(opts.count, '--count', 1);
      const timeout = wholeNumber(opts.timeout, '--timeout', 1);
      const tags = opts.tag ? parseTags(opts.tag) : undefined;
      const target = await resolveTarget(program.opts());
      const body = {
        name: opts.name,
        instanceType: opts.type,
        backupFrequency: opts.every,
        ...(count === undefined ? {} : { count }),
        ...(opts.policy ? { policy: opts.policy } : {}),
        ...(opts.image ? { imageId: opts.image } : {}),
        ...(opts.subnet ? { subnetId: opts.subnet } : {}),
        ...(opts.securityGroup ? { securityGroupIds: opts.securityGroup } : {}),
        ...(opts.logPath ? { logPaths: opts.logPath } : {}),
        ...(tags ? { tags } : {}),
      };
      const headers = opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : undefined;
      const accepted = await callApi(target, 'POST', '/instances', { body, ...(headers ? { headers } : {}) });
      if (accepted.status !== 202) throw apiError(accepted, body);
      const state = opts.wait ? await waitForRequest(target, accepted.body, timeout) : accepted.body;
      reportState(program, state, opts.json);
    });
}

interface InstancesOpts {
  source?: string;
  request?: string;
  json?: boolean;
}

export function registerInstances(program: Command): void {
  program
    .command('instances')
    .description('list the instances logvault launched, or follow one provisioning request')
    .option('-s, --source <name>', 'only instances of this source')
    .option('--request <id>', 'the state of one provisioning request (as `provision` printed it)')
    .option('--json', 'print the instances (or the request state) as JSON')
    .action(async (opts: InstancesOpts) => {
      if (opts.request && opts.source) throw usageError('give --request or --source, not both');
      const target = await resolveTarget(program.opts());
      if (opts.request) {
        const answer = await callApi(
          target,
          'GET',
          `/instances/requests/${encodeURIComponent(opts.request)}`,
        );
        if (answer.status !== 200) throw apiError(answer);
        return reportState(program, answer.body, opts.json);
      }
      const query = opts.source ? `?source=${encodeURIComponent(opts.source)}` : '';
      const answer = await callApi(target, 'GET', `/instances${query}`);
      if (answer.status !== 200) throw apiError(answer);
      const instances = answer.body.instances as {
        instanceId: string;
        state: string;
        source: string;
        requestId: string;
      }[];
      if (opts.json) printJson(instances);
      else
        printTable(
          ['INSTANCE', 'STATE', 'SOURCE', 'REQUEST'],
          instances.map((i) => [i.instanceId, i.state, i.source, i.requestId]),
        );
    });
}
