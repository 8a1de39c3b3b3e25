import { describe, expect, it } from 'vitest';
import { resolvePolicy } from '#shared/policy/match.ts';
import { accepted, file, policy } from './fixtures.ts';

const set = accepted(
  file(
    policy('instances', { priority: 10, match: { sources: ['i-*'] } }),
    // Listed after the broader policy on purpose: priority, not file order, must decide.
    policy('web-instances', { priority: 20, match: { sources: ['i-web*'] } }),
    policy('web-team', { priority: 5, match: { sources: ['*'], tags: { team: 'web' } } }),
    policy('logs', { match: { sources: ['app-*.log', 'svc-?'] } }),
  ),
);

describe('resolvePolicy', () => {
  it('chooses the matching policy and says which glob matched', () => {
    const { policy: chosen, reason } = resolvePolicy(set, { source: 'i-0abc123' });

    expect(chosen.name).toBe('instances');
    expect(reason).toBe('matched source glob "i-*" of policy "instances" (priority 10)');
  });

  it('chooses the highest priority when several match, regardless of file order', () => {
    const { policy: chosen, reason } = resolvePolicy(set, { source: 'i-web-01' });

    expect(chosen.name).toBe('web-instances');
    expect(reason).toBe('matched source glob "i-web*" of policy "web-instances" (priority 20)');
  });

  it('names whichever of a policy’s globs matched', () => {
    expect(resolvePolicy(set, { source: 'svc-7' }).reason).toBe(
      'matched source glob "svc-?" of policy "logs" (priority 0)',
    );
    expect(resolvePolicy(set, { source: 'app-api.log' }).reason).toContain('"app-*.log"');
  });

  it('requires every tag of a policy to be present with the same value, and reports them', () => {
    expect(resolvePolicy(set, { source: 'checkout', tags: { team: 'web', env: 'prod' } })).toMatchObject({
      policy: { name: 'web-team' },
      reason: 'matched source glob "*" and tags team=web of policy "web-team" (priority 5)',
    });
    expect(resolvePolicy(set, { source: 'checkout', tags: { team: 'db' } }).policy.name).toBe('standard');
    expect(resolvePolicy(set, { source: 'checkout' }).policy.name).toBe('standard');
  });

  it('lets a higher-priority source match beat a tag match', () => {
    expect(resolvePolicy(set, { source: 'i-0abc', tags: { team: 'web' } }).policy.name).toBe('instances');
  });

  it('falls back to the default policy and says so', () => {
    const { policy: chosen, reason } = resolvePolicy(set, { source: 'svc-12' });

    expect(chosen).toBe(set.defaultPolicy);
    expect(reason).toBe('no other policy matched; default policy "standard" matches with source glob "*"');
  });

  it('says so when the default applies although its own globs do not match', () => {
    const narrowDefault = accepted({
      version: 1,
      defaultPolicy: 'fallback',
      policies: [policy('fallback', { match: { sources: ['nothing-*'] } }), policy('instances')],
    });

    expect(resolvePolicy(narrowDefault, { source: 'web' })).toMatchObject({
      policy: { name: 'fallback' },
      reason:
        'no policy matched, the default\'s own globs included; default policy "fallback" applies to every unmatched source',
    });
  });

  it('uses the default only as the fallback, never by its own match or priority', () => {
    const json = {
      version: 1,
      defaultPolicy: 'fallback',
      policies: [
        policy('fallback', { priority: 100, match: { sources: ['*'] } }),
        policy('instances', { priority: 1, match: { sources: ['i-*'] } }),
      ],
    };
    const narrowDefault = {
      ...json,
      policies: [policy('fallback', { match: { sources: ['nothing-*'] } }), policy('instances')],
    };

    expect(resolvePolicy(accepted(json), { source: 'i-1' }).policy.name).toBe('instances');
    expect(resolvePolicy(accepted(narrowDefault), { source: 'web' }).policy.name).toBe('fallback');
  });

  it('matches globs case-sensitively, as S3 keys are', () => {
    expect(resolvePolicy(set, { source: 'I-0ABC' }).policy.name).toBe('standard');
  });
});
