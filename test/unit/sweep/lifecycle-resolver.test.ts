import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parsePolicies } from '#shared/policy/index.ts';
import { archiveLifecycleRules } from '#shared/policy-lifecycle.ts';

const require = createRequire(import.meta.url);
const resolver = require('../../../infra/lifecycle.cjs') as { rules: () => Promise<unknown[]> };
const policies = JSON.parse(readFileSync(join(import.meta.dirname, '../../../policies.json'), 'utf8'));

afterEach(() => {
  delete process.env.LOGVAULT_POLICIES_FILE;
});

function withPolicyFile(json: unknown): void {
  const file = join(mkdtempSync(join(tmpdir(), 'lv-policies-')), 'policies.json');
  writeFileSync(file, JSON.stringify(json));
  process.env.LOGVAULT_POLICIES_FILE = file;
}

describe('archive lifecycle rules', () => {
  it('keeps the fixed rules and adds one tag-filtered tier rule per policy with transitions', () => {
    const rules = archiveLifecycleRules(parsePolicies(policies));
    expect(rules.map((r) => r.Id)).toEqual([
      'abort-incomplete-multipart-uploads',
      'purge-swept-versions',
      'tier-standard',
      'tier-db-backups',
    ]);
    expect(rules[2]).toEqual({
      Id: 'tier-standard',
      Status: 'Enabled',
      TagFilters: [{ Key: 'logvault-policy', Value: 'standard' }],
      Transitions: [{ TransitionInDays: 30, StorageClass: 'STANDARD_IA' }],
    });
    // Expiry is the sweeper's job, never a lifecycle rule's.
    expect(JSON.stringify(rules)).not.toContain('ExpirationInDays');
  });

  it('the serverless.yml resolver returns the same rules for the real policy file', async () => {
    expect(await resolver.rules()).toEqual(archiveLifecycleRules(parsePolicies(policies)));
  });

  it('the resolver throws naming the malformed field', async () => {
    const bad = structuredClone(policies);
    bad.policies[1].retention = { days: -3 };
    withPolicyFile(bad);
    await expect(resolver.rules()).rejects.toThrow(
      /policies\[1\]\.retention\.days: must be a positive integer/,
    );
  });
});
