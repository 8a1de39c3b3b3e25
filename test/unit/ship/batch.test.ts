import { describe, expect, it } from 'vitest';
import { degradeBatch } from '#shared/ship/batch.ts';
import { Host } from './host.ts';

function pendingBatch() {
  const host = new Host();
  host.write('/var/log/a.log', 'a1\na2\n');
  host.write('/var/log/b.log', 'b1\n');
  const { header } = host.run();
  if (!header) throw new Error('no batch');
  return header;
}

describe('batches', () => {
  it('name themselves by what they hold: the same batch always gets the same id', () => {
    expect(pendingBatch().batch).toBe(pendingBatch().batch);
    expect(pendingBatch().batch).toMatch(/^20261126T081500Z-[0-9a-f]{16}$/);
  });

  it('turn a pending segment that can no longer be read into an unconfirmed gap, under a new id', () => {
    const header = pendingBatch();
    const degraded = degradeBatch(header, new Set([0]));
    expect(degraded.segments).toEqual([header.segments[1]]);
    expect(degraded.gaps).toEqual([
      {
        path: header.segments[0]?.path,
        generation: header.segments[0]?.generation,
        start: header.segments[0]?.start,
        end: header.segments[0]?.end,
        reason: 'unconfirmed',
      },
    ]);
    expect(degraded.generations).toEqual(header.generations);
    expect(degraded.prev).toBe(header.prev);
    expect(degraded.batch).not.toBe(header.batch);
    expect(degraded.batch.slice(0, 16)).toBe(header.batch.slice(0, 16));
  });
});
