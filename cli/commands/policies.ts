import type { Command } from 'commander';
import { parseArchiveKey, splitSourceKey } from '#shared/archive/layout.ts';
import { computeExpiry, loadPoliciesFile, resolvePolicy } from '#shared/policy/index.ts';
import { archiveLifecycleRules } from '#shared/policy-lifecycle.ts';
import { CliError, parseInstant, printJson } from '../output.ts';
import { projectPath } from '../target.ts';

const defaultFile = () => projectPath('policies.json');

/** A source name from `source`, `source/key` or an archive key. */
function sourceOf(arg: string): string {
  return parseArchiveKey(arg)?.source ?? splitSourceKey(arg.includes('/') ? arg : `${arg}/`).source;
}

export function registerPolicies(program: Command): void {
  const policies = program.command('policies').description('check and explain the retention policies');
  policies
    .command('check [file]')
    .description('validate a policy file (default: the bundled policies.json), as the package step does')
    .option('--json', 'machine-readable output')
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const path = file ?? defaultFile();
      let set: ReturnType<typeof loadPoliciesFile>;
      try {
        set = loadPoliciesFile(path);
      } catch (error) {
        throw new CliError((error as Error).message);
      }
      const rules = archiveLifecycleRules(set);
      if (opts.json)
        return printJson({ file: path, valid: true, policies: set.policies.map((p) => p.name), rules });
      process.stdout.write(
        `${path}: ok, ${set.policies.length} policies (default "${set.defaultPolicy.name}"), ${rules.length} lifecycle rules\n`,
      );
    });
  policies
    .command('explain <target>')
    .description(
      'which policy applies to a source (or source/key, or archive key), why, and the expiry it gets',
    )
    .option('--file <path>', 'policy file to explain against (default: the bundled policies.json)')
    .option('--now <iso>', 'archive time to compute the expiry for (default: now)')
    .option('--json', 'machine-readable output')
    .action((arg: string, opts: { file?: string; now?: string; json?: boolean }) => {
      const set = loadPoliciesFile(opts.file ?? defaultFile());
      const source = sourceOf(arg);
      const { policy, reason } = resolvePolicy(set, { source });
      const at = parseInstant(opts.now, '--now') ?? new Date();
      const expires = computeExpiry(policy, at);
      const out = {
        source,
        policy: policy.name,
        reason,
        retention: policy.retention,
        archivedAt: at.toISOString(),
        expires: expires ? expires.toISOString() : 'never',
        objectLock: policy.objectLock ?? null,
        transitions: policy.storage.transitions,
      };
      if (opts.json) return printJson(out);
      process.stdout.write(
        `source   ${source}\npolicy   ${policy.name}\nwhy      ${reason}\n` +
          `expires  ${out.expires} (if archived ${out.archivedAt})\n` +
          (policy.objectLock ? `lock     ${policy.objectLock.mode} ${policy.objectLock.days} days\n` : ''),
      );
    });
}
