import { describe, expect, it } from 'vitest';
import { reconcile } from '#shared/logs/verify-pack.ts';

const PACK = 'pack/standard/2026-11-26/20261126T080000Z-0123456789abcdef-3.lvp';
const OTHER = 'pack/standard/2026-11-26/20261126T090000Z-fedcba9876543210-1.lvp';
const item = (id: string, archive: string, source = 'web') => [id, { id, archive, source }] as const;

describe('reconciling the ledger with a pack', () => {
  const index = new Map([
    ['a', 'web'],
    ['b', 'web'],
    ['c', 'db'],
  ]);

  it('agrees when every member of the index is recorded as in this pack, and nothing else is', () => {
    const ledger = new Map([item('a', PACK), item('b', PACK), item('c', PACK, 'db')]);
    expect(reconcile(PACK, index, ledger)).toEqual([]);
  });

  it('names a member missing from the ledger, one it places elsewhere, and one the pack does not hold', () => {
    const ledger = new Map([item('b', OTHER), item('c', PACK, 'db'), item('z', PACK)]);
    expect(reconcile(PACK, index, ledger)).toEqual([
      { archiveKey: PACK, member: 'a', problem: 'in the pack, not in the ledger' },
      { archiveKey: PACK, member: 'b', problem: `in the pack; the ledger says it is in ${OTHER}` },
      { archiveKey: PACK, member: 'z', problem: 'in the ledger, not in the pack' },
    ]);
  });

  it('looking at some sources only, members of others are not expected in the ledger read', () => {
    const ledger = new Map([item('a', PACK), item('b', PACK)]);
    expect(reconcile(PACK, index, ledger, new Set(['web']))).toEqual([]);
  });
});
