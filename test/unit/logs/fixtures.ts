import { createHash } from 'node:crypto';
import type { GapMember, ObjectMember, SegmentMember } from '#shared/logs/members.ts';
import type { GapReason } from '#shared/segments/batch-format.ts';
import { memberId } from '#shared/segments/identity.ts';

export const sha = (text: string) => createHash('sha256').update(text).digest('hex');
export const GEN = '20261126T080000Z-0a1b2c3d';
export const PACK = 'pack/standard/2026-11-26/20261126T081000Z-00112233445566aa-3.lvp';
const batchAt = (minute: number) => `20261126T08${String(minute).padStart(2, '0')}00Z-${'ab'.repeat(8)}`;

export interface Where {
  readonly source?: string;
  readonly path?: string;
  readonly generation?: string;
  /** Minute of 08:xx on 2026-11-26 the batch was made; its id and `time` follow. */
  readonly minute?: number;
  readonly prevMinute?: number | null;
  readonly archive?: string;
}

const common = (w: Where) => {
  const minute = w.minute ?? 0;
  return {
    source: w.source ?? 'web',
    path: w.path ?? '/var/log/app.log',
    generation: w.generation ?? GEN,
    time: `2026-11-26T08:${String(minute).padStart(2, '0')}:00.000Z`,
    batch: batchAt(minute),
    prev: w.prevMinute === undefined || w.prevMinute === null ? null : batchAt(w.prevMinute),
    archive: w.archive ?? PACK,
  };
};

/** A segment of `text` at `start`, as the ledger or a pack index would describe it. */
export function seg(start: number, text: string, w: Where = {}): SegmentMember {
  const c = common(w);
  const end = start + Buffer.byteLength(text);
  const sha256 = sha(text);
  return {
    ...c,
    id: memberId({ kind: 'segment', ...c, start, end, sha256 }),
    kind: 'segment',
    sha256,
    size: end - start,
    bucket: 'ingest',
    key: `${c.source}/_logvault/ship/${c.batch}.lvb`,
    start,
    end,
    mode: 0o640,
    mtime: c.time,
  };
}

export function gap(start: number, end: number, reason: GapReason, w: Where = {}): GapMember {
  const c = common(w);
  return {
    ...c,
    id: memberId({ kind: 'gap', ...c, start, end, reason }),
    kind: 'gap',
    sha256: sha(''),
    size: 0,
    start,
    end,
    reason,
  };
}

export function obj(key: string, text: string, modified: string, archive = PACK): ObjectMember {
  const sha256 = sha(text);
  return {
    id: memberId({ kind: 'object', bucket: 'ingest', key, sha256 }),
    kind: 'object',
    source: key.split('/')[0] as string,
    time: modified,
    sha256,
    size: Buffer.byteLength(text),
    bucket: 'ingest',
    key,
    revision: 'v1',
    modified,
    eTag: '"e"',
    archive,
  };
}
