import { describe, expect, it } from 'vitest';
import {
  compactUtc,
  isGenerationId,
  memberId,
  objectGenerationId,
  parseCompactUtc,
  shippedGenerationId,
} from '#shared/segments/identity.ts';

const segment = {
  kind: 'segment' as const,
  source: 'web',
  path: '/var/log/app.log',
  generation: '20261126T073512Z-0a1b2c3d',
  start: 0,
  end: 100,
  sha256: 'a'.repeat(64),
};

describe('member identity', () => {
  it('is the same for the same identity and differs when any field differs', () => {
    expect(memberId(segment)).toBe(memberId({ ...segment }));
    expect(memberId(segment)).toMatch(/^[0-9a-f]{32}$/);
    for (const change of [
      { source: 'web2' },
      { path: '/var/log/app.log.1' },
      { generation: '20261126T073513Z-0a1b2c3d' },
      { start: 1 },
      { end: 101 },
      { sha256: 'b'.repeat(64) },
    ]) {
      expect(memberId({ ...segment, ...change })).not.toBe(memberId(segment));
    }
  });

  it('cannot be made to collide by moving a separator between fields', () => {
    const a = { kind: 'object' as const, bucket: 'b1', key: 'x\n3:y', sha256: 'c'.repeat(64) };
    const b = { kind: 'object' as const, bucket: 'b1\n3:x', key: 'y', sha256: 'c'.repeat(64) };
    expect(memberId(a)).not.toBe(memberId(b));
  });

  it('tells kinds apart even with the same field values', () => {
    const { sha256, ...range } = segment;
    expect(memberId({ ...range, kind: 'gap', reason: sha256 })).not.toBe(memberId(segment));
  });
});

describe('generation ids', () => {
  it('round-trips the compact UTC time and sorts by first sight', () => {
    const t = new Date('2026-11-26T07:35:12.987Z');
    expect(compactUtc(t)).toBe('20261126T073512Z');
    expect(parseCompactUtc('20261126T073512Z')?.toISOString()).toBe('2026-11-26T07:35:12.000Z');
    expect(parseCompactUtc('20260230T000000Z')).toBeUndefined();
    const early = shippedGenerationId(t, { dev: 1, ino: 2, fingerprint: 'f' });
    const late = shippedGenerationId(new Date('2026-11-26T08:00:00Z'), { dev: 1, ino: 2, fingerprint: 'f' });
    expect(early < late).toBe(true);
    expect(isGenerationId(early)).toBe(true);
    expect(early).not.toBe(shippedGenerationId(t, { dev: 1, ino: 3, fingerprint: 'f' }));
  });

  it('accepts object generations and refuses anything else', () => {
    expect(isGenerationId(objectGenerationId(new Date('2026-11-24T10:15:00Z')))).toBe(true);
    for (const bad of [
      '',
      '../x',
      '20261126T073512Z-XYZ',
      '20261332T000000Z',
      '20261126T073512Z-0a1b2c3d\n',
    ]) {
      expect(isGenerationId(bad)).toBe(false);
    }
  });
});
