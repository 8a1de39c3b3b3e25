import { within } from '../archive/selection.ts';
import { globMatches } from '../policy/glob.ts';
import { parseCompactUtc } from '../segments/identity.ts';
import type { LogGeneration } from './generations.ts';

/** Which logs a command asks for: a path glob and a time range (both ends inclusive). */
export interface LogSelection {
  /** `*` and `?` as in policies; matched against the log's path (shipped) or key below its source. */
  readonly path?: string;
  readonly from?: Date;
  readonly to?: Date;
}

/** True when anything of the generation was shipped (an object: modified) within the range. */
function touchesRange(g: LogGeneration, range: LogSelection): boolean {
  if (!range.from && !range.to) return true;
  if (g.kind === 'object') return within(new Date(g.member.modified), range);
  return [...g.segments, ...g.gaps].some((m) => within(new Date(m.time), range));
}

/**
 * The generations a selection takes: those whose path matches and of which something was shipped
 * in the range. A generation is taken whole: its members outside the range are part of the log.
 */
export function selectGenerations(gens: readonly LogGeneration[], sel: LogSelection): LogGeneration[] {
  return gens.filter(
    (g) => (sel.path === undefined || globMatches(sel.path, g.path)) && touchesRange(g, sel),
  );
}

/**
 * The second look-up that brings the selected shipped generations back whole, when the first one
 * was bounded by a range: from the earliest first sight among them (a generation id starts with
 * it, and no batch carrying a generation is older than its first sight), with no end, since a
 * generation may have grown after the range. Undefined when the first look-up already had it all.
 */
export function wholeGenerationsLookup(
  selected: readonly LogGeneration[],
  range: Pick<LogSelection, 'from' | 'to'>,
): { from: Date } | undefined {
  if (!range.from && !range.to) return undefined;
  let earliest: Date | undefined;
  for (const g of selected) {
    if (g.kind !== 'shipped') continue;
    const seen = parseCompactUtc(g.generation.slice(0, 16));
    if (seen && (!earliest || seen < earliest)) earliest = seen;
  }
  return earliest ? { from: earliest } : undefined;
}
