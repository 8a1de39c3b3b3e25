import { describe, expect, it } from 'vitest';
import { explainStorage } from '#cli/storage-explanation.ts';
import { type Policy, parsePolicies } from '#shared/policy/index.ts';

const set = parsePolicies({
  version: 1,
  defaultPolicy: 'standard',
  policies: [
    {
      name: 'standard',
      match: { sources: ['*'] },
      retention: { days: 90 },
      storage: { class: 'STANDARD', transitions: [{ days: 30, class: 'STANDARD_IA' }] },
      codec: { name: 'zstd' },
    },
    {
      name: 'audit',
      priority: 1,
      match: { sources: ['audit*'] },
      retention: { keepForever: true },
      storage: { class: 'GLACIER_IR' },
      codec: { name: 'zstd' },
    },
    {
      name: 'plain',
      priority: 1,
      match: { sources: ['plain*'] },
      retention: { days: 7 },
      storage: { class: 'STANDARD' },
      codec: { name: 'gzip' },
    },
  ],
});
const policy = (name: string) => set.policies.find((p) => p.name === name) as Policy;

describe('explainStorage', () => {
  it('writes an archive under 128 KiB STANDARD, keeps it there, and says why', () => {
    const small = explainStorage(policy('audit'), 128 * 1024 - 1);
    expect(small.classAtWrite).toBe('STANDARD');
    expect(small.transitions).toEqual([]);
    expect(small.why).toContain('is under 128 KiB');
    expect(small.why).toContain('bills the infrequent-access and Glacier classes as at least 128 KiB');
    expect(small.why).toContain('lifecycle rules do not transition objects under 128 KiB');
    expect(small.why).toContain('(the policy says GLACIER_IR)');
  });

  it('says small logs are packed, and that only a quiet window makes a pack under 128 KiB', () => {
    const small = explainStorage(policy('audit'), 50 * 1024);
    expect(small.why).toContain('the pack of a quiet batching window');
    for (const e of [
      small,
      explainStorage(policy('standard')),
      explainStorage(policy('plain'), 10 * 1024 ** 2),
    ])
      expect(e.packing).toBe(
        'logs up to 4.0 MiB (the default pack threshold) are packed with the other logs of their policy archived ' +
          'in the same batching window, and the pack is the archive whose size counts here; larger logs are archived alone',
      );
  });

  it("gives an archive of 128 KiB or more the policy's class and transitions", () => {
    expect(explainStorage(policy('audit'), 128 * 1024)).toMatchObject({ classAtWrite: 'GLACIER_IR' });
    const big = explainStorage(policy('standard'), 10 * 1024 ** 2);
    expect(big).toMatchObject({
      classAtWrite: 'STANDARD',
      transitions: [{ days: 30, class: 'STANDARD_IA' }],
    });
    expect(big.why).toBe(
      "STANDARD, then STANDARD_IA after 30 days (a 10.0 MiB archive is 128 KiB or more, so the policy's classes apply)",
    );
  });

  it('without a size, says which sizes the classes apply to', () => {
    expect(explainStorage(policy('standard')).why).toMatch(
      /for archives of 128 KiB or more; smaller ones are written STANDARD/,
    );
  });

  it('has nothing to add for a policy that only ever uses STANDARD', () => {
    expect(explainStorage(policy('plain'), 10).why).toBe('STANDARD');
  });
});
