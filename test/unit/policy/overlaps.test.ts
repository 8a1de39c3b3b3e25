import { describe, expect, it } from 'vitest';
import { accepted, expectIssue, file, policy } from './fixtures.ts';

const matching = (sources: string[], more: Record<string, unknown> = {}) => ({ match: { sources, ...more } });

describe('overlapping policies', () => {
  it('refuses two policies with identical globs at the same priority', () => {
    const json = file(policy('web', matching(['web-*'])), policy('www', matching(['web-*'])));

    expectIssue(
      json,
      'policies[2].match',
      'can match the same sources as policy "web" (policies[1]) at the same priority 0',
    );
  });

  it('refuses a glob that covers the literal prefix of another', () => {
    const json = file(
      policy('instances', { priority: 10, ...matching(['i-*']) }),
      policy('web', { priority: 10, ...matching(['i-web*']) }),
    );

    expectIssue(json, 'policies[2].match', 'globs "i-web*" and "i-*"');
  });

  it('refuses a non-default catch-all next to any other policy of the same priority', () => {
    const json = file(policy('web'), policy('everything', matching(['*'])));

    expectIssue(json, 'policies[2].match', 'policy "web"');
  });

  it('refuses globs that only meet in the middle (i-* and *-web share "i-web")', () => {
    expectIssue(
      file(policy('a', matching(['i-*'])), policy('b', matching(['*-web']))),
      'policies[2].match',
      'policy "a"',
    );
  });

  it('finds the overlap in any pair of globs across the two source lists', () => {
    const json = file(
      policy('a', matching(['alpha-*', 'beta-*'])),
      policy('b', matching(['gamma-*', 'beta-1'])),
    );

    expectIssue(json, 'policies[2].match', 'globs "beta-1" and "beta-*"');
  });

  it('refuses overlapping globs whose tag constraints can both hold', () => {
    const json = file(
      policy('a', matching(['app-*'], { tags: { team: 'web' } })),
      policy('b', matching(['app-*'], { tags: { env: 'prod' } })),
    );

    expectIssue(json, 'policies[2].match', 'policy "a"');
  });

  it('refuses a tagged policy overlapping an untagged one (a source with the tag matches both)', () => {
    const json = file(
      policy('a', matching(['app-*'])),
      policy('b', matching(['app-*'], { tags: { team: 'web' } })),
    );

    expectIssue(json, 'policies[2].match', 'policy "a"');
  });

  it('accepts overlapping globs whose tags contradict', () => {
    const json = file(
      policy('a', matching(['app-*'], { tags: { team: 'web' } })),
      policy('b', matching(['app-*'], { tags: { team: 'db' } })),
    );

    expect(accepted(json).policies).toHaveLength(3);
  });

  it('accepts overlapping globs at different priorities', () => {
    const json = file(
      policy('instances', { priority: 10, ...matching(['i-*']) }),
      policy('web', { priority: 20, ...matching(['i-web*']) }),
    );

    expect(accepted(json).policies).toHaveLength(3);
  });

  it('accepts globs no single source can match both of', () => {
    const json = file(
      policy('a', matching(['i-*'])),
      policy('b', matching(['db-*'])),
      policy('c', matching(['log-?'])),
      policy('d', matching(['log-*-x'])),
    );

    expect(accepted(json).policies).toHaveLength(5);
  });

  it('exempts the default policy, which matches everything at priority 0 by design', () => {
    const json = file(policy('web', matching(['*'])));

    expect(accepted(json).defaultPolicy.match.sources).toEqual(['*']);
  });
});
