import type { PolicyIssue } from './errors.ts';
import type { PolicyFile } from './schema.ts';

/** Policy names must be unique: archives and jobs refer to their policy by name alone. */
export function checkDuplicateNames(file: PolicyFile): PolicyIssue[] {
  const firstIndex = new Map<string, number>();
  const issues: PolicyIssue[] = [];
  file.policies.forEach((policy, i) => {
    const first = firstIndex.get(policy.name);
    if (first === undefined) firstIndex.set(policy.name, i);
    else
      issues.push({
        path: `policies[${i}].name`,
        rule: `duplicate policy name "${policy.name}" (also policies[${first}])`,
      });
  });
  return issues;
}

/** `defaultPolicy` must name one of the policies: it is what applies when nothing else matches. */
export function checkDefaultPolicy(file: PolicyFile): PolicyIssue[] {
  if (file.policies.some((p) => p.name === file.defaultPolicy)) return [];
  const known = file.policies.map((p) => `"${p.name}"`).join(', ');
  return [
    {
      path: 'defaultPolicy',
      rule: `must name a policy in policies; "${file.defaultPolicy}" is not one of ${known}`,
    },
  ];
}
