import { splitSourceKey } from '../archive/layout.ts';
import { objectGenerationId, parseCompactUtc } from '../segments/identity.ts';
import type { GapMember, LogMember, ObjectMember, SegmentMember } from './members.ts';

/**
 * The archive as a set of logs (pure). Members become generations: every segment and gap of one
 * (source, path, generation) is one shipped generation, with its coverage worked out here; every
 * object member (a whole object not made by a logvault shipper) is a generation of its own.
 */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** Two stored segments that claim some of the same bytes: a restore checks that they agree. */
export interface Overlap extends ByteRange {
  readonly a: SegmentMember;
  readonly b: SegmentMember;
  /** Both claim exactly the same range with different digests: they cannot agree. */
  readonly disagrees: boolean;
}

/** Bytes the host recorded as lost, where no stored segment holds them either. */
export interface LostRange extends ByteRange {
  readonly reason: GapMember['reason'];
  readonly gap: GapMember;
}

interface GenerationBase {
  readonly source: string;
  /** Shipped: the path on the host. Object: its ingest key below the source. */
  readonly path: string;
  /** Shipped: the generation id. Object: its modification time, `YYYYMMDDTHHMMSSZ`. */
  readonly generation: string;
  /** When its first and last bytes were shipped (objects: modified). */
  readonly firstTime: string;
  readonly lastTime: string;
  /** Distinct bytes stored. */
  readonly bytes: number;
  /** One past the furthest byte anything names (stored or lost): the length of a restored file. */
  readonly extent: number;
  /** Archives that hold its members. */
  readonly archives: readonly string[];
}

export interface ShippedGeneration extends GenerationBase {
  readonly kind: 'shipped';
  /** In byte order. */
  readonly segments: readonly SegmentMember[];
  readonly gaps: readonly GapMember[];
  /** Bytes neither stored nor recorded as lost. */
  readonly holes: readonly ByteRange[];
  readonly lost: readonly LostRange[];
  readonly overlaps: readonly Overlap[];
  /** What the latest batch that carried them says of the file. */
  readonly mode?: number;
  readonly uid?: number;
  readonly gid?: number;
  readonly mtime?: string;
}

export interface ObjectGeneration extends GenerationBase {
  readonly kind: 'object';
  readonly member: ObjectMember;
}

export type LogGeneration = ShippedGeneration | ObjectGeneration;

/** Which generation a member belongs to, as a string key: shipped by (source, path, generation), an object alone. */
export function memberGenerationKey(m: LogMember): string {
  return m.kind === 'object'
    ? JSON.stringify(['object', m.id])
    : JSON.stringify(['shipped', m.source, m.path, m.generation]);
}

/** A generation's key: the one {@link memberGenerationKey} gives each of its members. */
export function generationKey(g: LogGeneration): string {
  return g.kind === 'object'
    ? memberGenerationKey(g.member)
    : JSON.stringify(['shipped', g.source, g.path, g.generation]);
}

/** Every member of the generations, gaps included. */
export function membersOf(gens: readonly LogGeneration[]): LogMember[] {
  return gens.flatMap<LogMember>((g) => (g.kind === 'object' ? [g.member] : [...g.segments, ...g.gaps]));
}

const byStart = (a: ByteRange & { id?: string }, b: ByteRange & { id?: string }) =>
  a.start - b.start || a.end - b.end || ((a.id ?? '') < (b.id ?? '') ? -1 : 1);

/** The union of ranges, as sorted disjoint ranges (touching ranges merged). */
export function union(ranges: readonly ByteRange[]): ByteRange[] {
  const out: { start: number; end: number }[] = [];
  for (const r of [...ranges].sort(byStart)) {
    const last = out.at(-1);
    if (last && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/** `range` minus the sorted disjoint `cover`: the parts of it nothing in `cover` holds. */
export function subtract(range: ByteRange, cover: readonly ByteRange[]): ByteRange[] {
  const out: ByteRange[] = [];
  let at = range.start;
  for (const c of cover) {
    if (c.end <= at) continue;
    if (c.start >= range.end) break;
    if (c.start > at) out.push({ start: at, end: c.start });
    at = Math.max(at, c.end);
  }
  if (at < range.end) out.push({ start: at, end: range.end });
  return out;
}

/** Pairs of segments that share bytes; each segment is compared with every earlier one still open. */
function overlapsOf(segments: readonly SegmentMember[]): Overlap[] {
  const out: Overlap[] = [];
  const open: SegmentMember[] = [];
  for (const s of segments) {
    for (const o of open) {
      if (o.end <= s.start) continue;
      const disagrees = o.start === s.start && o.end === s.end && o.sha256 !== s.sha256;
      out.push({ a: o, b: s, start: s.start, end: Math.min(o.end, s.end), disagrees });
    }
    open.push(s);
  }
  return out;
}

const timeRange = (members: readonly LogMember[]) => {
  const times = members.map((m) => new Date(m.time).toISOString()).sort();
  return { firstTime: times[0] ?? '', lastTime: times.at(-1) ?? '' };
};

function shipped(source: string, path: string, generation: string, members: LogMember[]): ShippedGeneration {
  const segments = members.filter((m): m is SegmentMember => m.kind === 'segment').sort(byStart);
  const gaps = members.filter((m): m is GapMember => m.kind === 'gap').sort(byStart);
  const stored = union(segments);
  const lost = gaps.flatMap((gap) => subtract(gap, stored).map((r) => ({ ...r, reason: gap.reason, gap })));
  const extent = Math.max(0, ...segments.map((s) => s.end), ...gaps.map((g) => g.end));
  const known = union([...stored, ...gaps]);
  // The newest batch's word on the file wins: it saw the file last.
  const described = [...segments].sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).at(-1);
  return {
    kind: 'shipped',
    source,
    path,
    generation,
    ...timeRange(members),
    bytes: stored.reduce((n, r) => n + (r.end - r.start), 0),
    extent,
    archives: [...new Set(members.map((m) => m.archive))].sort(),
    segments,
    gaps,
    holes: subtract({ start: 0, end: extent }, known),
    lost: eachByteOnce(lost),
    overlaps: overlapsOf(segments),
    ...(described?.mode !== undefined ? { mode: described.mode } : {}),
    ...(described?.uid !== undefined ? { uid: described.uid } : {}),
    ...(described?.gid !== undefined ? { gid: described.gid } : {}),
    ...(described?.mtime !== undefined ? { mtime: described.mtime } : {}),
  };
}

/**
 * Ranges sorted, each byte claimed by the first range that holds it: ranges reported twice (a gap
 * recorded by two batches, two missing segments over the same bytes) are named once.
 */
export function eachByteOnce<T extends ByteRange>(ranges: readonly T[]): T[] {
  const out: T[] = [];
  for (const r of [...ranges].sort(byStart)) {
    const last = out.at(-1);
    if (last && r.start < last.end) {
      if (r.end > last.end) out.push({ ...r, start: last.end });
    } else out.push(r);
  }
  return out;
}

function objectGeneration(m: ObjectMember): ObjectGeneration {
  return {
    kind: 'object',
    source: m.source,
    path: splitSourceKey(m.key).relative,
    generation: objectGenerationId(new Date(m.modified)),
    firstTime: new Date(m.modified).toISOString(),
    lastTime: new Date(m.modified).toISOString(),
    bytes: m.size,
    extent: m.size,
    archives: [m.archive],
    member: m,
  };
}

const order = (a: LogGeneration, b: LogGeneration) =>
  a.source < b.source
    ? -1
    : a.source > b.source
      ? 1
      : a.path < b.path
        ? -1
        : a.path > b.path
          ? 1
          : a.generation < b.generation
            ? -1
            : a.generation > b.generation
              ? 1
              : 0;

/**
 * Groups members into generations, in order of source, path and generation (shipped ids sort by
 * first sight, object labels by modification time). A member recorded twice (the ledger's item
 * and the pack's index entry) counts once; the later record wins, so pass proven ones last.
 */
export function buildGenerations(members: readonly LogMember[]): LogGeneration[] {
  const byId = new Map<string, LogMember>();
  for (const m of members) byId.set(m.id, m);
  const groups = new Map<string, LogMember[]>();
  const out: LogGeneration[] = [];
  for (const m of byId.values()) {
    if (m.kind === 'object') out.push(objectGeneration(m));
    else groups.set(memberGenerationKey(m), [...(groups.get(memberGenerationKey(m)) ?? []), m]);
  }
  for (const group of groups.values()) {
    const m = group[0] as SegmentMember | GapMember;
    out.push(shipped(m.source, m.path, m.generation, group));
  }
  return out.sort(order);
}

/** A batch that a later batch names as its `prev`, of which no member is known. */
export interface MissingBatch {
  readonly source: string;
  readonly batch: string;
  /** The batches that name it. */
  readonly namedBy: readonly string[];
}

/**
 * Batches a host sent that are absent: named as `prev` by a batch that is present, while no member
 * of theirs is. A batch id starts with its creation time, so with `from` (members were looked up
 * from that time on) only batches created at or after it can be told missing; older ones were
 * simply not looked up.
 */
export function missingBatches(members: readonly LogMember[], window: { from?: Date } = {}): MissingBatch[] {
  const present = new Set<string>();
  for (const m of members) if (m.kind !== 'object') present.add(`${m.source}\n${m.batch}`);
  const missing = new Map<string, { source: string; batch: string; namedBy: Set<string> }>();
  for (const m of members) {
    if (m.kind === 'object' || m.prev === null || present.has(`${m.source}\n${m.prev}`)) continue;
    if (window.from && !createdAtOrAfter(m.prev, window.from)) continue;
    const key = `${m.source}\n${m.prev}`;
    const entry = missing.get(key) ?? { source: m.source, batch: m.prev, namedBy: new Set<string>() };
    entry.namedBy.add(m.batch);
    missing.set(key, entry);
  }
  return [...missing.values()]
    .map((e) => ({ source: e.source, batch: e.batch, namedBy: [...e.namedBy].sort() }))
    .sort((a, b) => (a.source + a.batch < b.source + b.batch ? -1 : 1));
}

/** A batch id's time is its creation time cut to the second: at or after `from` when that second is. */
function createdAtOrAfter(batchId: string, from: Date): boolean {
  const created = parseCompactUtc(batchId.slice(0, 16));
  return created !== undefined && created.getTime() >= from.getTime();
}
