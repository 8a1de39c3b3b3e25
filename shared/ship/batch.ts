import { type BatchHeader, batchIdFor, parseBatchHeader } from '../segments/batch-format.ts';
import type { Plan } from './plan.ts';
import type { TrackedGeneration } from './state.ts';

export interface BatchMeta {
  readonly source: string;
  readonly host: string;
  /** The last batch S3 acknowledged from this host. */
  readonly prev: string | null;
  readonly now: Date;
}

/** A header with its batch id: a digest of everything else in it, so a re-send meets the same key. */
function withId(header: Omit<BatchHeader, 'batch'>): BatchHeader {
  const { source, host, prev, createdAt, segments, gaps, generations } = header;
  const descriptor = JSON.stringify({ source, host, prev, createdAt, segments, gaps, generations });
  const batch = batchIdFor(new Date(createdAt), descriptor);
  return parseBatchHeader({ v: 1, source, host, batch, prev, createdAt, segments, gaps, generations });
}

/**
 * The batch a plan becomes once its reads are done: `digests[i]` is the SHA-256 of read i, or
 * undefined when the read failed (the file changed under it); a failed range is not sent and not
 * counted as sent, so the next run plans it again. Undefined header: nothing to send.
 */
export function buildBatch(
  plan: Plan,
  digests: readonly (string | undefined)[],
  meta: BatchMeta,
): { header?: BatchHeader; generations: TrackedGeneration[] } {
  const failed = new Map<string, number>();
  const segments: BatchHeader['segments'] = [];
  plan.reads.forEach((r, i) => {
    const sha256 = digests[i];
    if (sha256) segments.push({ path: r.path, generation: r.generation, start: r.start, end: r.end, sha256 });
    else failed.set(r.generation, r.start);
  });
  const generations = plan.generations.map((g) => {
    const start = failed.get(g.generation);
    return start === undefined ? g : { ...g, through: start, closed: false };
  });
  const touched = [...new Set(plan.touched)].filter((id) => !failed.has(id));
  const entries = touched.map((id) => {
    const g = generations.find((x) => x.generation === id) as TrackedGeneration;
    return {
      path: g.path,
      generation: g.generation,
      firstSeen: g.firstSeen,
      mode: g.file.mode,
      uid: g.file.uid,
      gid: g.file.gid,
      mtime: new Date(g.file.mtimeMs).toISOString(),
      through: g.through,
      closed: g.closed,
    };
  });
  if (segments.length === 0 && plan.gaps.length === 0 && entries.length === 0) return { generations };
  const header = withId({
    v: 1,
    source: meta.source,
    host: meta.host,
    prev: meta.prev,
    createdAt: meta.now.toISOString(),
    segments,
    gaps: [...plan.gaps],
    generations: entries,
  });
  return { header, generations };
}

/**
 * A pending batch some of whose segments can no longer be read as they were: those ranges become
 * gaps marked `unconfirmed` (they may or may not have reached S3 with the earlier attempt). The
 * batch gets a new id, so it never overwrites an upload of the original that did arrive whole.
 */
export function degradeBatch(header: BatchHeader, unreadable: ReadonlySet<number>): BatchHeader {
  const lost = header.segments.filter((_, i) => unreadable.has(i));
  return withId({
    ...header,
    segments: header.segments.filter((_, i) => !unreadable.has(i)),
    gaps: [
      ...header.gaps,
      ...lost.map((s) => ({
        path: s.path,
        generation: s.generation,
        start: s.start,
        end: s.end,
        reason: 'unconfirmed' as const,
      })),
    ],
  });
}
