import { utcDay } from './layout.ts';
import type { ReadMetadata } from './metadata.ts';

/**
 * How a time range selects archives. Only the authenticated encryption context is trusted; the
 * metadata is a hint, and the archive key's day (the UTC day the source was modified) is what the
 * listing goes by. Pure, so every rule is unit-tested.
 */
export interface TimeRange {
  readonly from?: Date;
  readonly to?: Date;
}

const DAY_MS = 86_400_000;

export function within(t: Date, range: TimeRange): boolean {
  return (!range.from || t >= range.from) && (!range.to || t <= range.to);
}

/**
 * How much of one key day a range covers: `whole` when every instant of the day is inside it,
 * `part` when only some are, `none` when none is.
 */
export function dayCoverage(day: string, range: TimeRange): 'whole' | 'part' | 'none' {
  const start = Date.parse(`${day}T00:00:00.000Z`);
  const end = start + DAY_MS - 1;
  const from = range.from?.getTime() ?? Number.NEGATIVE_INFINITY;
  const to = range.to?.getTime() ?? Number.POSITIVE_INFINITY;
  if (end < from || start > to) return 'none';
  return start >= from && end <= to ? 'whole' : 'part';
}

/**
 * Whether `hold` or `release` selects an archive of a key day, without decrypting anything (hold
 * needs no key access): `hold` takes every day the range touches, a superset, since an extra hold
 * loses nothing; `release` takes only days the range covers whole, a subset, since releasing an
 * archive the range did not ask for could let the sweeper delete it.
 */
export function selectsForHold(action: 'hold' | 'release', day: string, range: TimeRange): boolean {
  const coverage = dayCoverage(day, range);
  return action === 'hold' ? coverage !== 'none' : coverage === 'whole';
}

/**
 * What `ls` does with an archive of a key day inside the range: metadata may narrow the listing
 * within the key day it agrees with, but never moves an archive out of its own day: a metadata
 * time on another day is listed and reported.
 */
export function listedByMetadata(
  meta: ReadMetadata | undefined,
  day: string,
  range: TimeRange,
): 'in' | 'out' | 'disagrees' {
  if (!meta?.sourceModified) return 'in';
  const t = new Date(meta.sourceModified);
  if (utcDay(t) !== day) return 'disagrees';
  return within(t, range) ? 'in' : 'out';
}

/** What a restored archive's metadata says that its authenticated context or key contradicts. */
export function metadataNotes(
  meta: ReadMetadata | undefined,
  proved: { readonly originalKey: string; readonly modified?: Date; readonly day: string },
): string[] {
  if (!meta) return ['metadata missing'];
  const notes = meta.unreadable.length ? [`unreadable metadata: ${meta.unreadable.join(', ')}`] : [];
  if (meta.sourceKey !== undefined && meta.sourceKey !== proved.originalKey)
    notes.push(`metadata names key ${JSON.stringify(meta.sourceKey)}, the authenticated key differs`);
  if (meta.sourceModified === undefined) return notes;
  const t = new Date(meta.sourceModified);
  if (proved.modified && t.getTime() !== proved.modified.getTime())
    notes.push(
      `metadata says modified ${meta.sourceModified}, the authenticated time is ${proved.modified.toISOString()}`,
    );
  else if (!proved.modified && utcDay(t) !== proved.day)
    notes.push(`metadata says modified ${meta.sourceModified}, outside the archive key's day ${proved.day}`);
  return notes;
}

/**
 * The modification time a restored archive is named by: the authenticated one, or, for archives
 * written before the context carried it, the start of its key's day (never the metadata's word).
 */
export function namingTime(proved: { readonly modified?: Date; readonly day: string }): Date {
  return proved.modified ?? new Date(`${proved.day}T00:00:00.000Z`);
}
