import { type ByteRange, eachByteOnce, type LogGeneration, subtract, union } from './generations.ts';
import type { LogMember } from './members.ts';

/**
 * How generations are read back and judged (pure): which members to read from which archive, and,
 * once read, whether each generation is whole, has gaps (named with their byte ranges and why),
 * or failed an integrity check.
 */

/** Why a member's bytes could not be used. */
export interface ReadFailure {
  /** `missing`: not stored where the ledger says (a gap). `failed`: could not be proven or read. */
  readonly kind: 'missing' | 'failed';
  readonly why: string;
}

/** Why bytes no stored or lost record names are a gap. */
export const IN_NO_ARCHIVE = 'in no archive';

/** A range of a restored file that holds no log bytes, and why. */
export interface GapReport extends ByteRange {
  readonly why: string;
}

export interface GenerationVerdict {
  readonly generation: LogGeneration;
  readonly gaps: readonly GapReport[];
  /** Integrity failures: the generation is never written, gaps allowed or not. */
  readonly failures: readonly string[];
  /** Write it: no failure, and no gap unless gaps are allowed (and then only if some byte exists). */
  readonly write: boolean;
}

/** Members to read, by the archive that holds them (gaps too: a pack's index proves them). */
export function readsByArchive(gens: readonly LogGeneration[]): Map<string, LogMember[]> {
  const out = new Map<string, LogMember[]>();
  const add = (m: LogMember) => out.set(m.archive, [...(out.get(m.archive) ?? []), m]);
  for (const g of gens) {
    if (g.kind === 'object') add(g.member);
    else for (const m of [...g.segments, ...g.gaps]) add(m);
  }
  return out;
}

/** Sorted disjoint gaps, with those that touch and say the same merged: one missing pack is one gap. */
function joinTouching(gaps: readonly GapReport[]): GapReport[] {
  const out: GapReport[] = [];
  for (const g of gaps) {
    const last = out.at(-1);
    if (last && last.end === g.start && last.why === g.why) out[out.length - 1] = { ...last, end: g.end };
    else out.push(g);
  }
  return out;
}

const range = (r: ByteRange) => `[${r.start}, ${r.end})`;

/**
 * Judges one generation once its members were read: `unreadable` names the members that could
 * not be used, `disagreements` the overlaps whose bytes differed when compared.
 */
export function judge(
  g: LogGeneration,
  outcome: {
    readonly unreadable: ReadonlyMap<string, ReadFailure>;
    readonly disagreements?: readonly string[];
  },
  opts: { readonly allowGaps: boolean },
): GenerationVerdict {
  const failed = (m: LogMember) => outcome.unreadable.get(m.id);
  if (g.kind === 'object') {
    const f = failed(g.member);
    if (!f) return { generation: g, gaps: [], failures: [], write: true };
    return f.kind === 'failed'
      ? { generation: g, gaps: [], failures: [f.why], write: false }
      : { generation: g, gaps: [{ start: 0, end: g.extent, why: f.why }], failures: [], write: false };
  }
  const failures = [
    ...g.overlaps
      .filter((o) => o.disagrees)
      .map(
        (o) =>
          `segments ${o.a.id} (batch ${o.a.batch}) and ${o.b.id} (batch ${o.b.batch}) hold different bytes ${range(o)}`,
      ),
    ...(outcome.disagreements ?? []),
    ...[...g.segments, ...g.gaps].flatMap((m) => {
      const f = failed(m);
      return f?.kind === 'failed' ? [f.why] : [];
    }),
  ];
  const readable = g.segments.filter((s) => !failed(s));
  const missing = g.segments.filter((s) => failed(s)?.kind === 'missing');
  const held = union(readable);
  const known = union([...held, ...g.gaps]);
  const gaps: GapReport[] = [
    ...missing.flatMap((m) => subtract(m, known).map((r) => ({ ...r, why: (failed(m) as ReadFailure).why }))),
    ...g.gaps.flatMap((gap) =>
      subtract(gap, held).map((r) => ({ ...r, why: `lost on the host (${gap.reason})` })),
    ),
    ...subtract({ start: 0, end: g.extent }, union([...known, ...missing])).map((r) => ({
      ...r,
      why: IN_NO_ARCHIVE,
    })),
  ];
  const merged = joinTouching(eachByteOnce(gaps));
  const write = failures.length === 0 && (merged.length === 0 || (opts.allowGaps && readable.length > 0));
  return { generation: g, gaps: merged, failures, write };
}
