import { describe, expect, it } from 'vitest';
import { accepted, expectIssue, file, policy } from './fixtures.ts';

describe('policy names', () => {
  it('refuses a duplicate name, pointing at the second one and the first', () => {
    const json = file(policy('web'), policy('web', { match: { sources: ['www-*'] } }));

    expectIssue(json, 'policies[2].name', 'duplicate policy name "web" (also policies[1])');
  });

  it('refuses a defaultPolicy that names no policy, listing the ones that exist', () => {
    const json = { ...file(policy('web')), defaultPolicy: 'standrad' };

    expectIssue(
      json,
      'defaultPolicy',
      'must name a policy in policies; "standrad" is not one of "standard", "web"',
    );
  });

  it('resolves the default policy object from its name, wherever it sits in the file', () => {
    const json = {
      version: 1,
      defaultPolicy: 'fallback',
      policies: [policy('web'), policy('api'), policy('fallback', { match: { sources: ['*'] } })],
    };

    expect(accepted(json).defaultPolicy.name).toBe('fallback');
  });
});
