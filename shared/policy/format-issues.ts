import type { z } from 'zod';
import type { PolicyIssue } from './errors.ts';

type Path = readonly PropertyKey[];
type Issue = z.core.$ZodIssue;

/** `policies[2].retention.days`: array indexes in brackets, odd keys (tag names) quoted. */
export function jsonPath(path: Path): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out;
}

const describeType = (expected: string): string =>
  ({
    int: 'an integer',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    object: 'an object',
    array: 'an array',
  })[expected] ?? `of type ${expected}`;

/**
 * Generic wording for zod issues that have no message of their own in schema.ts, phrased as the
 * rule the field breaks. Passed to `safeParse` so it never touches zod's global configuration.
 */
export function ruleFor(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${describeType(issue.expected)}`;
    case 'too_small':
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item(s)`;
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1
          ? 'must not be empty'
          : `must be at least ${issue.minimum} characters`;
      return `must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'array') return `must have at most ${issue.maximum} item(s)`;
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters`;
      return `must be at most ${issue.maximum}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return 'unknown key';
    default:
      return undefined;
  }
}

/** The union branch that got furthest (fewest issues), if exactly one did. */
function closestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] | undefined {
  const fewest = Math.min(...branches.map((b) => b.length));
  const closest = branches.filter((b) => b.length === fewest);
  return closest.length === 1 ? closest[0] : undefined;
}

/**
 * Flattens zod issues into `path: rule` pairs. Each unknown key gets its own entry naming the key
 * itself, and a failed union reports the branch the input was evidently meant to be, not all of them.
 */
export function toPolicyIssues(issues: readonly Issue[], prefix: Path = []): PolicyIssue[] {
  return issues.flatMap((issue): PolicyIssue[] => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: jsonPath([...path, key]), rule: 'unknown key' }));
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      const branch = closestBranch(issue.errors);
      if (branch) return toPolicyIssues(branch, path);
    }
    return [{ path: jsonPath(path), rule: issue.message }];
  });
}
