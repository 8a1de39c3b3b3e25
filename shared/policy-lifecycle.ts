import { loadPoliciesFile, type PolicySet } from './policy/index.ts';

/** A CloudFormation `AWS::S3::Bucket` lifecycle rule, as far as the archive bucket uses it. */
export interface CfnLifecycleRule {
  Id: string;
  Status: 'Enabled';
  TagFilters?: { Key: string; Value: string }[];
  Transitions?: { TransitionInDays: number; StorageClass: string }[];
  AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number };
  NoncurrentVersionExpiration?: { NoncurrentDays: number };
  ExpiredObjectDeleteMarker?: boolean;
}

/** Rules every archive bucket has, whatever the policies say. */
const FIXED_RULES: CfnLifecycleRule[] = [
  {
    Id: 'abort-incomplete-multipart-uploads',
    Status: 'Enabled',
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
  },
  {
    // The sweeper deletes exact versions; this only clears what a versionless delete leaves behind.
    Id: 'purge-swept-versions',
    Status: 'Enabled',
    NoncurrentVersionExpiration: { NoncurrentDays: 1 },
    ExpiredObjectDeleteMarker: true,
  },
];

/**
 * The archive bucket's lifecycle rules: the fixed ones, then one tier rule per policy with
 * transitions, matched by the `logvault-policy` tag each archive is written with. Expiry is never a
 * lifecycle rule: the sweeper deletes, so legal holds and the expiry fixed at archive time are honoured.
 */
export function archiveLifecycleRules(set: PolicySet): CfnLifecycleRule[] {
  const tiers = set.policies
    .filter((p) => p.storage.transitions.length > 0)
    .map(
      (p): CfnLifecycleRule => ({
        Id: `tier-${p.name}`,
        Status: 'Enabled',
        TagFilters: [{ Key: 'logvault-policy', Value: p.name }],
        Transitions: p.storage.transitions.map((t) => ({ TransitionInDays: t.days, StorageClass: t.class })),
      }),
    );
  return [...FIXED_RULES, ...tiers];
}

/** Validates a policy file and returns its lifecycle rules; throws PolicyConfigError naming each bad field. */
export function lifecycleRulesFromFile(path: string): CfnLifecycleRule[] {
  return archiveLifecycleRules(loadPoliciesFile(path));
}
