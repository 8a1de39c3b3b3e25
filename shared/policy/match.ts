import { globMatches } from './glob.ts';
import type { PolicySet } from './load.ts';
import type { Policy } from './schema.ts';

/** What a policy is chosen for: a source name and, when known, its tags. */
export interface PolicyTarget {
  readonly source: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** The chosen policy and a sentence saying why, for logs and `logvault explain`-style output. */
export interface PolicyResolution {
  readonly policy: Policy;
  readonly reason: string;
}

/** The first glob of `policy` that matches, if its tags also all match; otherwise `undefined`. */
function matchingGlob(policy: Policy, target: PolicyTarget): string | undefined {
  const tags = Object.entries(policy.match.tags ?? {});
  if (!tags.every(([key, value]) => target.tags?.[key] === value)) return undefined;
  return policy.match.sources.find((glob) => globMatches(glob, target.source));
}

/**
 * Why the default policy applies. It is chosen because nothing else matched, whether or not its
 * own globs match; the reason says which, so that `"*"` in the default is not reported as no match.
 */
function defaultReason(policy: Policy, target: PolicyTarget): string {
  const glob = matchingGlob(policy, target);
  return glob === undefined
    ? `no policy matched, the default's own globs included; default policy "${policy.name}" applies to every unmatched source`
    : `no other policy matched; default policy "${policy.name}" matches with source glob "${glob}"`;
}

/**
 * Chooses the policy for a source: the highest-priority non-default policy that matches it, or the
 * default policy when none does. Validation refuses same-priority overlaps, so the winner never
 * depends on file order (file order still breaks ties, for determinism, should one slip through).
 */
export function resolvePolicy(set: PolicySet, target: PolicyTarget): PolicyResolution {
  let best: { policy: Policy; glob: string } | undefined;
  for (const policy of set.policies) {
    if (policy === set.defaultPolicy) continue;
    if (best && policy.priority <= best.policy.priority) continue;
    const glob = matchingGlob(policy, target);
    if (glob !== undefined) best = { policy, glob };
  }
  if (!best) return { policy: set.defaultPolicy, reason: defaultReason(set.defaultPolicy, target) };
  const { policy, glob } = best;
  const tags = Object.entries(policy.match.tags ?? {}).map(([k, v]) => `${k}=${v}`);
  const tagPart = tags.length > 0 ? ` and tags ${tags.join(', ')}` : '';
  return {
    policy,
    reason: `matched source glob "${glob}"${tagPart} of policy "${policy.name}" (priority ${policy.priority})`,
  };
}
