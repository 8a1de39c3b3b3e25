import type { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { awaitMembers, isArchived, isSettled, settledItems } from '#shared/archive/await-members.ts';
import { type AttemptItem, memberItem, parseAttemptItem } from '#shared/archive/member-ledger.ts';

const ATTEMPT = 'attempt#00000000-0000-4000-8000-000000000001';
const OTHER = 'attempt#00000000-0000-4000-8000-000000000002';

/** A ledger item as the archive function writes it, for the member `id` stored in `<id>.lvp`. */
const item = (id: string, attempt = ATTEMPT) =>
  memberItem(
    {
      id: id.padEnd(32, '0'),
      kind: 'gap',
      source: 'web',
      time: '2026-11-26T07:30:00Z',
      sha256: 'e'.repeat(64),
      size: 0,
      path: '/var/log/app.log',
      generation: '20261126T070000Z-0a1b2c3d',
      start: 0,
      end: 10,
      reason: 'truncated',
      batch: '20261126T073000Z-0123456789abcdef',
      prev: null,
    },
    { archive: `pack/standard/2026-11-26/${id}.lvp`, attempt, policy: 'standard' },
  );
const attempt = (state: AttemptItem['state'], id = ATTEMPT) =>
  parseAttemptItem({ id, state, leaseUntil: 0, archive: 'pack/x.lvp', ttl: 0 });

describe('isArchived', () => {
  it('is true only for a member whose own attempt is done', () => {
    expect(isArchived(item('c'), attempt('done'))).toBe(true);
    expect(isArchived(undefined, attempt('done'))).toBe(false);
    expect(isArchived(item('c'), attempt('writing'))).toBe(false);
    expect(isArchived(item('c'), attempt('failed'))).toBe(false);
    expect(isArchived(item('c'), undefined)).toBe(false);
    expect(isArchived(item('c'), attempt('done', OTHER))).toBe(false);
  });
});

/** A ledger table as a map; `advance` moves it on between polls, as the archive function would. */
function ledger(rows: Map<string, unknown>) {
  const reads: string[] = [];
  const ddb = {
    send: async (cmd: GetCommand) => {
      const id = String(cmd.input.Key?.id);
      reads.push(id);
      return { Item: rows.get(id) };
    },
  } as unknown as DynamoDBDocumentClient;
  return { deps: { ddb, table: 'members' }, reads };
}

describe('awaitMembers', () => {
  it('waits until every member is archived, reading an archived member no more', async () => {
    const rows = new Map<string, unknown>([['a', item('a')]]);
    rows.set(ATTEMPT, attempt('writing'));
    const { deps, reads } = ledger(rows);
    let polls = 0;
    const result = await awaitMembers(deps, ['a', 'b'], {
      timeoutMs: 60_000,
      now: () => 0,
      sleep: async () => {
        polls += 1;
        if (polls === 1) rows.set(ATTEMPT, attempt('done'));
        if (polls === 2) rows.set('b', item('b'));
      },
    });
    expect(result).toEqual({
      total: 2,
      pending: [],
      archives: ['pack/standard/2026-11-26/a.lvp', 'pack/standard/2026-11-26/b.lvp'],
    });
    expect(reads.filter((id) => id === 'a')).toHaveLength(2);
    // The attempt is read until it is done, then known.
    expect(reads.filter((id) => id === ATTEMPT)).toHaveLength(2);
  });

  it('returns what is still pending when the time is up', async () => {
    const { deps } = ledger(
      new Map<string, unknown>([
        ['a', item('a')],
        [ATTEMPT, attempt('failed')],
      ]),
    );
    let clock = 0;
    const seen: number[] = [];
    const result = await awaitMembers(deps, ['a'], {
      timeoutMs: 3_000,
      intervalMs: 1_000,
      now: () => clock,
      sleep: async (ms) => {
        clock += ms;
      },
      onProgress: (n) => seen.push(n),
    });
    expect(result).toEqual({ total: 1, pending: ['a'], archives: [] });
    expect(seen).toEqual([0, 0, 0, 0]);
  });
});

describe('settled ledger items', () => {
  it('counts a member once its attempt is done, or long gone, never while it writes or after it failed', () => {
    expect(isSettled(attempt('done'))).toBe(true);
    expect(isSettled(undefined)).toBe(true);
    expect(isSettled(attempt('writing'))).toBe(false);
    expect(isSettled(attempt('failed'))).toBe(false);
  });

  it('keeps, in order, the items whose attempt is settled, reading each attempt once', async () => {
    const THIRD = 'attempt#00000000-0000-4000-8000-000000000003';
    const { deps, reads } = ledger(
      new Map<string, unknown>([
        [ATTEMPT, attempt('done')],
        [OTHER, attempt('writing', OTHER)],
      ]),
    );
    const items = [item('a'), item('b', OTHER), item('c'), item('d', THIRD)];
    const kept = await settledItems(deps, items);
    expect(kept.map((i) => i.archive)).toEqual([
      'pack/standard/2026-11-26/a.lvp',
      'pack/standard/2026-11-26/c.lvp',
      'pack/standard/2026-11-26/d.lvp',
    ]);
    expect(reads.sort()).toEqual([ATTEMPT, OTHER, THIRD].sort());
  });
});
