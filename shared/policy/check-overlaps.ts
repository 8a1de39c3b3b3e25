import type { PolicyIssue } from './errors.ts';
import { globsIntersect } from './glob.ts';
import type { Policy, PolicyFile } from './schema.ts';

/** Two tag constraints contradict when they require different values for the same tag. */
function tagsContradict(a: Policy['match']['tags'], b: Policy['match']['tags']): boolean {
  if (!a || !b) return false;
  return Object.entries(a).some(([key, value]) => Object.hasOwn(b, key) && b[key] !== value);
}

/** A pair of globs, one from each policy, that some source name matches both of. */
function sharedGlobs(a: Policy, b: Policy): [string, string] | undefined {
  for (const ga of a.match.sources) {
    for (const gb of b.match.sources) if (globsIntersect(ga, gb)) return [ga, gb];
  }
  return undefined;
}

/**
 * Refuses two policies that could both match one source at the same priority: which one wins
 * would then depend on their order in the file, and reordering it would silently change where
 * logs go and how long they live. The default policy is exempt: it is only the fallback.
 */
export function checkOverlaps(file: PolicyFile): PolicyIssue[] {
  const issues: PolicyIssue[] = [];
  const candidates = file.policies
    .map((policy, index) => ({ policy, index }))
    .filter((c) => c.policy.name !== file.defaultPolicy);
  for (const [n, later] of candidates.entries()) {
    for (const earlier of candidates.slice(0, n)) {
      if (earlier.policy.priority !== later.policy.priority) continue;
      if (tagsContradict(earlier.policy.match.tags, later.policy.match.tags)) continue;
      const globs = sharedGlobs(earlier.policy, later.policy);
      if (!globs) continue;
      issues.push({
        path: `policies[${later.index}].match`,
        rule:
          `can match the same sources as policy "${earlier.policy.name}" (policies[${earlier.index}]) at the same ` +
          `priority ${later.policy.priority} (globs "${globs[1]}" and "${globs[0]}"); ` +
          'give one a different priority, narrow a glob, or add contradicting tags',
      });
    }
  }
  return issues;
}
