import { describe, expect, it } from 'vitest';
import {
  type AttemptItem,
  conflictDecision,
  LEASE_GRACE_MS,
  MalformedLedgerItemError,
  memberItem,
  parseAttemptItem,
  parseMemberItem,
  sortKey,
} from '#shared/archive/member-ledger.ts';
import type { MemberDescription } from '#shared/archive/pack-format.ts';

const attemptId = 'attempt#0f0e0d0c-0b0a-4908-8706-050403020100';
const segment: MemberDescription = {
  id: 'a'.repeat(32),
  kind: 'segment',
  source: 'i-0abc',
  time: '2026-11-26T07:30:00Z',
  sha256: 'b'.repeat(64),
  size: 5,
  bucket: 'ingest-bucket',
  key: 'AROA1:i-0abc/_logvault/ship/20261126T073000Z-0123456789abcdef.lvb',
  path: '/var/log/messages',
  generation: '20261126T070000Z-0a1b2c3d',
  start: 100,
  end: 105,
  batch: '20261126T073000Z-0123456789abcdef',
  prev: null,
  mode: 0o640,
};
const where = { archive: 'pack/instances/2026-11-26/x.lvp', attempt: attemptId, policy: 'instances' };

describe('member ledger items', () => {
  it('round-trip a member item, its time normalised and its sort key time-first', () => {
    const item = memberItem(segment, where);
    expect(item.time).toBe('2026-11-26T07:30:00.000Z');
    expect(item.sk).toBe(`2026-11-26T07:30:00.000Z#${'a'.repeat(32)}`);
    expect(parseMemberItem(JSON.parse(JSON.stringify(item)))).toEqual(item);
    expect(sortKey('2026-11-26T07:30:00.000Z', 'f'.repeat(32)) > item.sk).toBe(true);
  });

  it('keeps a segment’s place in a whole batch body, and refuses it on a gap', () => {
    const item = memberItem(segment, { ...where, inBatchBody: { offset: 300, length: 5 } });
    expect(item).toMatchObject({ offset: 300, length: 5 });
    const gap: MemberDescription = {
      id: 'c'.repeat(32),
      kind: 'gap',
      source: 'i-0abc',
      time: segment.time,
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      size: 0,
      path: '/var/log/messages',
      generation: '20261126T070000Z-0a1b2c3d',
      start: 0,
      end: 100,
      reason: 'deleted',
      batch: '20261126T073000Z-0123456789abcdef',
      prev: null,
    };
    expect(memberItem(gap, where).kind).toBe('gap');
    expect(() => memberItem(gap, { ...where, inBatchBody: { offset: 1, length: 0 } })).toThrow(
      MalformedLedgerItemError,
    );
  });

  it('refuses items of another shape by name, attempt items included', () => {
    const attempt = {
      id: attemptId,
      state: 'writing',
      leaseUntil: 1,
      archive: 'pack/x',
      ttl: 2,
    };
    expect(parseAttemptItem(attempt)).toEqual(attempt);
    expect(() => parseMemberItem(attempt)).toThrow(/ledger member attempt#.* invalid/);
    expect(() => parseMemberItem({ ...memberItem(segment, where), extra: 1 })).toThrow(
      MalformedLedgerItemError,
    );
    expect(() => parseAttemptItem({ ...attempt, state: 'maybe' })).toThrow(
      /ledger attempt .* invalid at state/,
    );
  });
});

describe('conflictDecision', () => {
  const now = new Date('2026-11-26T08:00:00Z');
  const attempt = (state: AttemptItem['state'], leaseUntil: number): AttemptItem => ({
    id: attemptId,
    state,
    leaseUntil,
    archive: where.archive,
    ttl: 0,
  });

  it('settles a member whose holder is done, or whose archive exists, as a duplicate', () => {
    expect(conflictDecision({ attempt: attempt('done', 0), archiveExists: false }, now)).toEqual({
      action: 'duplicate',
    });
    const live = attempt('writing', now.getTime() + 30_000);
    expect(conflictDecision({ attempt: live, archiveExists: true }, now)).toEqual({ action: 'duplicate' });
    expect(conflictDecision({ attempt: undefined, archiveExists: true }, now)).toEqual({
      action: 'duplicate',
    });
  });

  it('takes over from a failed, expired or lapsed attempt whose archive is not there', () => {
    expect(
      conflictDecision({ attempt: attempt('failed', now.getTime() + 60_000), archiveExists: false }, now),
    ).toEqual({ action: 'take-over' });
    expect(conflictDecision({ attempt: undefined, archiveExists: false }, now)).toEqual({
      action: 'take-over',
    });
    const lapsed = attempt('writing', now.getTime() - LEASE_GRACE_MS);
    expect(conflictDecision({ attempt: lapsed, archiveExists: false }, now)).toEqual({ action: 'take-over' });
  });

  it('waits for a live lease, until its end and the grace after it', () => {
    const until = now.getTime() + 10_000;
    expect(conflictDecision({ attempt: attempt('writing', until), archiveExists: false }, now)).toEqual({
      action: 'wait',
      until: until + LEASE_GRACE_MS,
    });
    // Just ended, but a request sent before its end may still land.
    const ended = attempt('writing', now.getTime() - 1);
    expect(conflictDecision({ attempt: ended, archiveExists: false }, now).action).toBe('wait');
  });
});
