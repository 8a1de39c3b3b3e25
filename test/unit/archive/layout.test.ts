import { describe, expect, it } from 'vitest';
import {
  ARCHIVE_PREFIX,
  archiveId,
  archiveKeyFor,
  EXPIRY_PREFIX,
  expiryIndexKey,
  isReservedSource,
  parseArchiveKey,
  RESERVED_SOURCES,
  STATE_PREFIX,
  sourceRange,
  splitSourceKey,
} from '#shared/archive/layout.ts';
import { REPORT_PREFIX } from '#shared/sweep/report.ts';
import { STATE_KEY } from '#shared/sweep/state.ts';

const identity = { bucket: 'ingest', key: 'web-1/var/log/app.log', sha256: 'ab'.repeat(32) };
const day = new Date('2026-11-24T23:59:59Z');

describe('archive key layout', () => {
  it('is deterministic for one object and content, and differs when the content does', () => {
    expect(archiveKeyFor(identity, day)).toBe(archiveKeyFor({ ...identity }, day));
    expect(archiveKeyFor({ ...identity, sha256: 'cd'.repeat(32) }, day)).not.toBe(
      archiveKeyFor(identity, day),
    );
  });

  it('puts source, UTC day and relative key in order, so a restore by source and time is a range scan', () => {
    expect(archiveKeyFor(identity, day)).toBe(
      `archive/web-1/2026-11-24/var/log/app.log.${archiveId(identity)}.lv`,
    );
  });

  it('parses back what it builds, including unicode and deep paths', () => {
    const key = archiveKeyFor({ ...identity, key: 'i-1/ünï/a b/c+d/%e.log' }, day);
    expect(parseArchiveKey(key)).toEqual({
      source: 'i-1',
      day: '2026-11-24',
      relative: 'ünï/a b/c+d/%e.log',
      id: archiveId({ ...identity, key: 'i-1/ünï/a b/c+d/%e.log' }),
    });
  });

  it('keeps keys under S3 limits even for a 1024-byte source key', () => {
    const long = { ...identity, key: `web-1/${'é'.repeat(500)}` };
    const key = archiveKeyFor(long, day);
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(expiryIndexKey(day, key))).toBeLessThanOrEqual(1024);
    expect(parseArchiveKey(key)?.id).toBe(archiveId(long));
  });

  it("names an instance's logs by its instance id, not by its role session", () => {
    expect(splitSourceKey('AROAEXAMPLEROLEID1234:i-0fedcba9876543210/var/log/messages')).toEqual({
      source: 'i-0fedcba9876543210',
      relative: 'var/log/messages',
    });
    // Only a role id followed by an instance id is read that way.
    expect(splitSourceKey('app:web/x.log').source).toBe('app:web');
  });

  it('files keys without a folder under _unsourced', () => {
    expect(splitSourceKey('stray.log')).toEqual({ source: '_unsourced', relative: 'stray.log' });
  });

  it('bounds a source range by the days asked for', () => {
    const r = sourceRange('web-1', new Date('2026-11-20T10:00:00Z'), new Date('2026-11-22T00:00:00Z'));
    expect(r.prefix).toBe('archive/web-1/');
    expect(r.startAfter && r.startAfter < 'archive/web-1/2026-11-20/').toBe(true);
    expect(r.startAfter && r.startAfter > 'archive/web-1/2026-11-19/zzz').toBe(true);
    expect(r.endDay).toBe('2026-11-22');
  });
});

describe('reserved source names', () => {
  it('cover every prefix logvault writes in the archive bucket', () => {
    const written = [
      archiveKeyFor(identity, day),
      expiryIndexKey(day, archiveKeyFor(identity, day)),
      STATE_KEY,
      `${REPORT_PREFIX}2026-11-24T00:00:00.000Z-run.json`,
    ];
    for (const key of written) expect(isReservedSource(splitSourceKey(key).source), key).toBe(true);
    expect(STATE_KEY.startsWith(STATE_PREFIX)).toBe(true);
    expect([...RESERVED_SOURCES].sort()).toEqual(
      [ARCHIVE_PREFIX, EXPIRY_PREFIX, STATE_PREFIX].map((p) => p.slice(0, -1)).sort(),
    );
  });

  it('are only those first segments', () => {
    for (const source of ['web', 'archived', 'Archive', 'expiry-app', '_unsourced', 'i-0abc'])
      expect(isReservedSource(source), source).toBe(false);
  });
});
