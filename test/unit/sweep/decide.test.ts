import { describe, expect, it } from 'vitest';
import { type ArchiveHead, clockWentBack, decide } from '#shared/sweep/decide.ts';

const now = new Date('2026-03-10T12:00:00Z');
const expired: ArchiveHead = { exists: true, versionId: 'v1', size: 10, expires: '2026-03-01T00:00:00.000Z' };

describe('decide', () => {
  it('deletes an archive whose metadata says it expired, with no hold or lock', () => {
    expect(decide(expired, now)).toEqual({ action: 'delete' });
  });
  it('deletes at the exact expiry instant', () => {
    expect(decide({ ...expired, expires: now.toISOString() }, now).action).toBe('delete');
  });
  it('keeps an archive under legal hold, even when expired and unlocked', () => {
    expect(decide({ ...expired, legalHold: true }, now)).toEqual({ action: 'held' });
  });
  it('keeps an archive whose Object Lock retention has not passed', () => {
    const until = new Date('2026-04-01T00:00:00Z');
    expect(decide({ ...expired, lockUntil: until }, now)).toEqual({ action: 'locked', until });
  });
  it('deletes once the Object Lock retention has passed', () => {
    expect(decide({ ...expired, lockUntil: new Date('2026-03-09T00:00:00Z') }, now).action).toBe('delete');
  });
  it('keeps an archive whose metadata says it has not expired, whatever its index day said', () => {
    const d = decide({ ...expired, expires: '2026-06-01T00:00:00.000Z' }, now);
    expect(d).toEqual({ action: 'not-expired', until: new Date('2026-06-01T00:00:00.000Z') });
  });
  it('keeps archives marked never, unreadable expiries and non-logvault objects', () => {
    expect(decide({ ...expired, expires: 'never' }, now).action).toBe('not-expired');
    expect(decide({ ...expired, expires: 'soon' }, now).action).toBe('not-expired');
    const { expires: _, ...foreign } = expired;
    expect(decide(foreign, now).action).toBe('not-expired');
  });
  it('keeps an archive when the HEAD gave no version to delete', () => {
    const { versionId: _, ...unversioned } = expired;
    expect(decide(unversioned, now).action).toBe('not-expired');
  });
  it('reports an archive that is already gone as missing', () => {
    expect(decide({ exists: false }, now)).toEqual({ action: 'missing' });
  });
});

describe('clockWentBack', () => {
  it('refuses a clock earlier than the last run', () => {
    expect(clockWentBack(now, '2026-03-10T12:00:01Z')).toBe(true);
  });
  it('accepts the same or a later clock, and a first run', () => {
    expect(clockWentBack(now, now.toISOString())).toBe(false);
    expect(clockWentBack(now, '2026-03-09T00:00:00Z')).toBe(false);
    expect(clockWentBack(now, undefined)).toBe(false);
  });
});
