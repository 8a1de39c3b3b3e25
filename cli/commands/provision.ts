import type { Command } from 'commander';
import { apiError, callApi } from '../api.ts';
import { CliError, printJson, printTable } from '../output.ts';
import { resolveTarget } from '../target.ts';

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

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseTags(pairs: string[] = []): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new CliError(`--tag: expected KEY=VALUE, got ${JSON.stringify(pair)}`, 2);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
}

export function registerProvision(program: Command): void {
  program
    .command('provision')
    .description('launch EC2 instances that back up their logs to logvault on a schedule')
    .requiredOption('--name <name>', 'instance name (also its logvault:source tag)')
    .requiredOption('--type <instanceType>', 'instance type, from the stage allow-list')
    .requiredOption('--every <schedule>', "backup schedule: 'rate(15 minutes)' or 'cron(0 3 * * ? *)'")
    .option('--count <n>', 'how many instances')
    .option('--policy <name>', 'archive policy from policies.json')
    .option('--image <amiId>', 'AMI (default: latest Amazon Linux 2023 arm64)')
    .option('--subnet <subnetId>', 'subnet to launch into')
    .option('--security-group <sgId>', 'security group (repeatable)', collect)
    .option('--log-path <glob>', 'absolute log path or glob to back up (repeatable)', collect)
    .option('--tag <key=value>', 'tag for the instances (repeatable)', collect)
    .option('--idempotency-key <key>', 'retrying with the same key launches nothing more')
    .option('--wait', 'wait until the instances are running (or the request failed)')
    .option('--timeout <seconds>', 'how long --wait waits', '300')
    .option('--json', 'machine-readable output')
    .action(async (opts: ProvisionOpts) => {
      const count = opts.count === undefined ? undefined : Number(opts.count);
      if (count !== undefined && !Number.isInteger(count))
        throw new CliError('--count: not a whole number', 2);
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
        ...(opts.tag ? { tags: parseTags(opts.tag) } : {}),
      };
      const headers = opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : undefined;
      const accepted = await callApi(target, 'POST', '/instances', { body, ...(headers ? { headers } : {}) });
      if (accepted.status !== 202) throw apiError(accepted);
      let state = accepted.body;
      if (opts.wait) {
        const deadline = Date.now() + Number(opts.timeout) * 1000;
        while (state.status !== 'running' && state.status !== 'failed') {
          if (Date.now() > deadline)
            throw new CliError(`request ${String(accepted.body.requestId)} still ${String(state.status)}`);
          await new Promise((r) => setTimeout(r, 1000));
          const answer = await callApi(target, 'GET', String(accepted.body.statusUrl));
          if (answer.status !== 200) throw apiError(answer);
          state = answer.body;
        }
      }
      if (opts.json) printJson(state);
      else if (state.status === 'failed')
        process.stdout.write(`request ${String(state.requestId)} failed: ${String(state.reason)}\n`);
      else if (state.status === 'running')
        process.stdout.write(
          `running: ${(state.instanceIds as string[]).join(', ')} (request ${String(state.requestId)})\n`,
        );
      else
        process.stdout.write(
          `request ${String(state.requestId)} ${String(state.status)}; follow it at ${String(state.statusUrl)}\n`,
        );
      if (state.status === 'failed') process.exitCode = 1;
    });
}

export function registerInstances(program: Command): void {
  program
    .command('instances')
    .description('list the instances logvault launched')
    .option('--source <name>', 'only instances of this source')
    .option('--json', 'machine-readable output')
    .action(async (opts: { source?: string; json?: boolean }) => {
      const target = await resolveTarget(program.opts());
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
