import type { Command } from 'commander';
import { parseArchiveKey, splitSourceKey } from '#shared/archive/layout.ts';
import { computeExpiry, loadPoliciesFile, PolicyConfigError, resolvePolicy } from '#shared/policy/index.ts';
import { STORAGE_CLASSES } from '#shared/policy/storage-classes.ts';
import { archiveLifecycleRules } from '#shared/policy-lifecycle.ts';
import { CliError, parseInstant, printJson, usageError } from '../output.ts';
import { readSize, SIZE_FORMATS } from '../sizes.ts';
import { explainStorage } from '../storage-explanation.ts';
import { projectPath } from '../target.ts';

const defaultFile = () => projectPath('policies.json');

/** A source name from `source`, `source/key` or an archive key. */
function sourceOf(arg: string): string {
  return parseArchiveKey(arg)?.source ?? splitSourceKey(arg.includes('/') ? arg : `${arg}/`).source;
}

/** Reads a policy file; a file that cannot be used is a failure (exit 1) naming each problem. */
function load(path: string) {
  try {
    return loadPoliciesFile(path);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

const FIELDS_HELP =
  `\nPolicy fields (see docs/retention.md): codec "zstd" (level 1-19) or "gzip" (level 1-9); ` +
  `storage classes ${STORAGE_CLASSES.join(', ')}; retention { "days": n }, { "keepForever": true } or ` +
  '{ "gfs": { "dailyDays", "weeklyWeeks", "monthlyMonths" } }; objectLock mode GOVERNANCE or COMPLIANCE.\n';

function registerCheck(policies: Command): void {
  policies
    .command('check [file]')
    .description('validate a policy file (default: the bundled policies.json), as the package step does')
    .option(
      '--json',
      'print {file, valid, policies, rules} or, for an invalid file, {file, valid: false, errors}',
    )
    .action((file: string | undefined, opts: { json?: boolean }) => {
      const path = file ?? defaultFile();
      let set: ReturnType<typeof loadPoliciesFile>;
      try {
        set = loadPoliciesFile(path);
      } catch (error) {
        if (opts.json && error instanceof PolicyConfigError)
          printJson({ file: path, valid: false, errors: error.issues });
        throw new CliError((error as Error).message);
      }
      const rules = archiveLifecycleRules(set);
      if (opts.json)
        return printJson({ file: path, valid: true, policies: set.policies.map((p) => p.name), rules });
      process.stdout.write(
        `${path}: ok, ${set.policies.length} policies (default "${set.defaultPolicy.name}"), ${rules.length} lifecycle rules\n`,
      );
    });
}

interface ExplainOpts {
  file?: string;
  now?: string;
  size?: string;
  json?: boolean;
}

function registerExplain(policies: Command): void {
  policies
    .command('explain <target>')
    .description(
      'which policy applies to a source (or source/key, or archive key), why, the expiry it gets and its storage class',
    )
    .option('--file <path>', 'policy file to explain against (default: the bundled policies.json)')
    .option('--now <iso>', 'archive time to compute the expiry for (default: now)')
    .option(
      '--size <bytes>',
      `size of the archive (a pack of small logs, or a large log's own), to tell the storage class it really gets: ${SIZE_FORMATS}`,
    )
    .option('--json', 'machine-readable output')
    .action((arg: string, opts: ExplainOpts) => {
      const size = opts.size === undefined ? undefined : readSize(opts.size);
      if (opts.size !== undefined && size === undefined)
        throw usageError(`--size ${JSON.stringify(opts.size)}: not a size (${SIZE_FORMATS})`);
      const at = parseInstant(opts.now, '--now') ?? new Date();
      const set = load(opts.file ?? defaultFile());
      const source = sourceOf(arg);
      const { policy, reason } = resolvePolicy(set, { source });
      const expires = computeExpiry(policy, at);
      const storage = explainStorage(policy, size);
      const out = {
        source,
        policy: policy.name,
        reason,
        retention: policy.retention,
        archivedAt: at.toISOString(),
        expires: expires ? expires.toISOString() : 'never',
        objectLock: policy.objectLock ?? null,
        ...(size === undefined ? {} : { archivedBytes: size }),
        storageClassAtWrite: storage.classAtWrite,
        transitions: storage.transitions,
        storage: storage.why,
        packing: storage.packing,
      };
      if (opts.json) return printJson(out);
      process.stdout.write(
        `source   ${source}\npolicy   ${policy.name}\nwhy      ${reason}\n` +
          `expires  ${out.expires} (if archived ${out.archivedAt})\n` +
          `class    ${storage.why}\n` +
          `packing  ${storage.packing}\n` +
          (policy.objectLock ? `lock     ${policy.objectLock.mode} ${policy.objectLock.days} days\n` : ''),
      );
    });
}

export function registerPolicies(program: Command): void {
  const policies = program
    .command('policies')
    .description('check and explain the retention policies')
    .addHelpText('after', FIELDS_HELP);
  registerCheck(policies);
  registerExplain(policies);
}
