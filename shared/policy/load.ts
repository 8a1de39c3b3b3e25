import { readFileSync } from 'node:fs';
import { checkEarlyDeletion, checkObjectLock, checkTransitions } from './check-lifecycle.ts';
import { checkDefaultPolicy, checkDuplicateNames } from './check-names.ts';
import { checkOverlaps } from './check-overlaps.ts';
import { PolicyConfigError, type PolicyIssue } from './errors.ts';
import { ruleFor, toPolicyIssues } from './format-issues.ts';
import { type Policy, type PolicyFile, policyFileSchema } from './schema.ts';

/** A validated, deeply frozen policy file, with its default policy resolved. */
export interface PolicySet {
  readonly version: PolicyFile['version'];
  readonly defaultPolicy: Policy;
  readonly policies: readonly Policy[];
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function crossPolicyIssues(file: PolicyFile): PolicyIssue[] {
  return [
    ...checkDuplicateNames(file),
    ...checkDefaultPolicy(file),
    ...checkOverlaps(file),
    ...file.policies.flatMap((policy, i) => {
      const at = `policies[${i}]`;
      return [
        ...checkTransitions(policy, at),
        ...checkEarlyDeletion(policy, at),
        ...checkObjectLock(policy, at),
      ];
    }),
  ];
}

/**
 * Validates a parsed policy document: its shape (unknown keys refused), then the rules that span
 * fields and policies (unique names, a real default, no same-priority overlaps, S3 transition and
 * minimum-duration rules, object locks within retention).
 *
 * @throws PolicyConfigError listing every problem found, each as `json.path: rule`.
 */
export function parsePolicies(json: unknown): PolicySet {
  const parsed = policyFileSchema.safeParse(json, { error: ruleFor });
  if (!parsed.success) throw new PolicyConfigError(toPolicyIssues(parsed.error.issues));
  const file = parsed.data;
  const issues = crossPolicyIssues(file);
  if (issues.length > 0) throw new PolicyConfigError(issues);
  const defaultPolicy = file.policies.find((p) => p.name === file.defaultPolicy) as Policy;
  return deepFreeze({ version: file.version, defaultPolicy, policies: file.policies });
}

/**
 * Reads, parses and validates a policy file.
 *
 * @throws PolicyConfigError whose message starts with `path:`, whether the file is unreadable, not
 *   JSON, or breaks a rule.
 */
export function loadPoliciesFile(path: string): PolicySet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new PolicyConfigError([{ path: '', rule: `cannot be read (${(cause as Error).message})` }], {
      file: path,
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new PolicyConfigError([{ path: '', rule: `is not valid JSON (${(cause as Error).message})` }], {
      file: path,
      cause,
    });
  }
  try {
    return parsePolicies(json);
  } catch (error) {
    if (error instanceof PolicyConfigError)
      throw new PolicyConfigError(error.issues, { file: path, cause: error });
    throw error;
  }
}
