import { describe, expect, it } from 'vitest';
import {
  dayCoverage,
  listedByMetadata,
  metadataNotes,
  namingTime,
  selectsForHold,
} from '#shared/archive/selection.ts';

const range = { from: new Date('2026-11-20T10:00:00Z'), to: new Date('2026-11-24T00:00:00Z') };
const meta = (sourceModified?: string, extra: Record<string, unknown> = {}) => ({
  ...(sourceModified ? { sourceModified } : {}),
  unreadable: [],
  ...extra,
});

describe('time-range selection', () => {
  it('tells whole days of a range from days it covers only in part', () => {
    expect(dayCoverage('2026-11-19', range)).toBe('none');
    expect(dayCoverage('2026-11-20', range)).toBe('part');
    expect(dayCoverage('2026-11-21', range)).toBe('whole');
    expect(dayCoverage('2026-11-24', range)).toBe('part');
    expect(dayCoverage('2026-11-25', range)).toBe('none');
    expect(dayCoverage('1990-01-01', {})).toBe('whole');
  });

  it('holds every day the range touches, and releases only the days it covers whole', () => {
    const days = ['2026-11-19', '2026-11-20', '2026-11-21', '2026-11-24', '2026-11-25'];
    expect(days.filter((d) => selectsForHold('hold', d, range))).toEqual([
      '2026-11-20',
      '2026-11-21',
      '2026-11-24',
    ]);
    expect(days.filter((d) => selectsForHold('release', d, range))).toEqual(['2026-11-21']);
  });

  it('lets ls narrow by a metadata time only within the key day it agrees with', () => {
    expect(listedByMetadata(meta('2026-11-20T09:00:00Z'), '2026-11-20', range)).toBe('out');
    expect(listedByMetadata(meta('2026-11-20T11:00:00Z'), '2026-11-20', range)).toBe('in');
    expect(listedByMetadata(meta('1990-01-01T00:00:00Z'), '2026-11-21', range)).toBe('disagrees');
    expect(listedByMetadata(meta(), '2026-11-21', range)).toBe('in');
    expect(listedByMetadata(undefined, '2026-11-21', range)).toBe('in');
  });

  it('reports where metadata contradicts what the archive proved', () => {
    const proved = {
      originalKey: 'web/a.log',
      modified: new Date('2026-11-21T10:00:00Z'),
      day: '2026-11-21',
    };
    expect(metadataNotes(meta('2026-11-21T10:00:00.000Z', { sourceKey: 'web/a.log' }), proved)).toEqual([]);
    expect(metadataNotes(meta('1990-01-01'), proved)).toEqual([
      'metadata says modified 1990-01-01, the authenticated time is 2026-11-21T10:00:00.000Z',
    ]);
    expect(metadataNotes(meta('1990-01-01'), { originalKey: 'web/a.log', day: '2026-11-21' })).toEqual([
      "metadata says modified 1990-01-01, outside the archive key's day 2026-11-21",
    ]);
    expect(
      metadataNotes(meta(undefined, { sourceKey: 'web/b.log', unreadable: ['lv-sha256'] }), proved),
    ).toEqual([
      'unreadable metadata: lv-sha256',
      'metadata names key "web/b.log", the authenticated key differs',
    ]);
    expect(metadataNotes(undefined, proved)).toEqual(['metadata missing']);
  });

  it('names by the authenticated time, or the start of the key day, never by metadata', () => {
    expect(namingTime({ modified: new Date('2026-11-21T10:00:00Z'), day: '2026-11-21' })).toEqual(
      new Date('2026-11-21T10:00:00Z'),
    );
    expect(namingTime({ day: '2026-11-21' })).toEqual(new Date('2026-11-21T00:00:00Z'));
  });
});
