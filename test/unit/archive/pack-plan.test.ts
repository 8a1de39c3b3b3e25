import { describe, expect, it } from 'vitest';
import type { PackInput } from '#shared/archive/pack-layout.ts';
import { planLoads, recordVerdict, routeFor, uniqueMembers } from '#shared/archive/pack-plan.ts';
import { policies } from '#shared/policies.ts';
import type { Policy } from '#shared/policy/index.ts';

// policies.json: standard keeps 90 days, audit forever.
const policy = (name: string) => policies.policies.find((p) => p.name === name) as Policy;
const at = new Date('2026-03-01T12:00:00Z');
const record = (ref: string, name: string, size: number) => ({ ref, policy: policy(name), size });
const input = (id: string) => ({ description: { id }, bytes: Buffer.from(id) }) as unknown as PackInput;

describe('routeFor', () => {
  it('packs a source of up to the threshold and archives a larger one alone', () => {
    expect(routeFor(0, 1024)).toBe('pack');
    expect(routeFor(1024, 1024)).toBe('pack');
    expect(routeFor(1025, 1024)).toBe('single');
  });

  it('archives everything alone when the threshold is 0, empty sources included', () => {
    expect(routeFor(0, 0)).toBe('single');
    expect(routeFor(10, 0)).toBe('single');
  });
});

describe('planLoads', () => {
  it('makes one load per policy and expiry day, in the order each policy first appears', () => {
    const loads = planLoads(
      [record('a', 'standard', 10), record('b', 'audit', 10), record('c', 'standard', 10)],
      at,
    );
    expect(
      loads.map((l) => [l.policy.name, l.expires?.toISOString() ?? null, l.records.map((r) => r.ref)]),
    ).toEqual([
      ['standard', '2026-05-31T00:00:00.000Z', ['a', 'c']],
      ['audit', null, ['b']],
    ]);
  });

  it('cuts a policy’s records into loads of at most maxBytes, a larger record in a load of its own', () => {
    const loads = planLoads(
      [
        record('a', 'standard', 40),
        record('b', 'standard', 60),
        record('c', 'standard', 1),
        record('d', 'standard', 500),
        record('e', 'standard', 5),
      ],
      at,
      100,
    );
    expect(loads.map((l) => l.records.map((r) => r.ref))).toEqual([['a', 'b'], ['c'], ['d'], ['e']]);
  });

  it('plans nothing for no records', () => {
    expect(planLoads([], at)).toEqual([]);
  });
});

describe('uniqueMembers', () => {
  it('keeps each member once, in first-seen order, whichever records carry it', () => {
    const members = uniqueMembers([[input('m1'), input('m2')], [], [input('m2'), input('m3'), input('m1')]]);
    expect(members.map((m) => m.description.id)).toEqual(['m1', 'm2', 'm3']);
  });
});

describe('recordVerdict', () => {
  const fates = new Map([
    ['stored', { fate: 'stored' as const }],
    ['dup', { fate: 'duplicate' as const }],
    ['bad', { fate: 'failed' as const, error: new Error('the pack PUT failed') }],
  ]);

  it('settles a record whose members are all stored or were already', () => {
    expect(recordVerdict(['stored', 'dup'], fates)).toEqual({ ok: true });
    // A record with no members (an empty object) has nothing left to store.
    expect(recordVerdict([], fates)).toEqual({ ok: true });
  });

  it('fails a record with any failed member, with that member’s error', () => {
    const verdict = recordVerdict(['stored', 'bad', 'dup'], fates);
    expect(verdict).toEqual({ ok: false, error: new Error('the pack PUT failed') });
  });

  it('fails a record whose member was never decided, rather than deleting its source', () => {
    const verdict = recordVerdict(['stored', 'lost'], fates);
    expect(verdict.ok).toBe(false);
    expect(String((verdict as { error: unknown }).error)).toContain('member lost was never archived');
  });
});
