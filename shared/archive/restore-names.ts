import { createHash } from 'node:crypto';
import { objectGenerationId } from '../segments/identity.ts';
import { truncateUtf8 } from './layout.ts';

/**
 * Where restored archives land under an output directory. Pure: the same set of archives always
 * gets the same names, so names are stable across reruns and can be worked out from `logvault ls`.
 *
 * - A key's path segments are its `/`-separated parts, without empty and `.` parts; `..` goes up
 *   one, and never above the output directory.
 * - Archives are grouped by that path. A path with one archive keeps its plain name. When several
 *   map to one path (`src//a.log` and `src/a.log`, or two versions of one key), every one of them
 *   gets `.<YYYYMMDDTHHMMSSZ>`, its source's modification time in UTC (the object's generation id,
 *   segments/identity.ts), plus `-<first 8 hex digits of its archive id>` only where two share
 *   that second. A log generation shipped by a logvault shipper gets `.<its generation id>`
 *   instead (`YYYYMMDDTHHMMSSZ-xxxxxxxx`: first sight and file identity, unique per path).
 * - A segment over 255 bytes (the usual file-name limit) is cut, on a character boundary, and
 *   ends in `~` and 16 hex digits of the SHA-256 of the whole segment, so cut names stay distinct.
 *   A version suffix is kept whole.
 */
export const MAX_SEGMENT_BYTES = 255;

export interface NamingInput {
  /** The original key, as the authenticated encryption context names it. */
  readonly originalKey: string;
  /** The source's modification time: authenticated where the archive carries it. */
  readonly modified: Date;
  /** The archive id (the 16 hex digits in the archive key), or a member id: tells apart what shares a suffix. */
  readonly id: string;
  /** The suffix's label when it is not the modification time: a shipped generation's id. */
  readonly label?: string;
}

export interface RestoreName {
  /** Path segments under the output directory. */
  readonly segments: readonly string[];
  /** The name carries a version suffix because other archives share its path. */
  readonly renamed: boolean;
  /** A segment was cut to fit MAX_SEGMENT_BYTES. */
  readonly shortened: boolean;
}

/** The path segments a key restores to; throws for a key that names no file inside the directory. */
export function keySegments(originalKey: string): string[] {
  const out: string[] = [];
  for (const part of originalKey.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw new Error(`key ${JSON.stringify(originalKey)} leads outside the directory`);
      out.pop();
    } else out.push(part);
  }
  if (out.length === 0) throw new Error(`key ${JSON.stringify(originalKey)} names no file`);
  return out;
}

/** A segment within MAX_SEGMENT_BYTES once `suffix` is added; unchanged when it already fits. */
export function fitSegment(stem: string, suffix = ''): { name: string; shortened: boolean } {
  const room = MAX_SEGMENT_BYTES - Buffer.byteLength(suffix);
  if (Buffer.byteLength(stem) <= room) return { name: `${stem}${suffix}`, shortened: false };
  const digest = createHash('sha256').update(stem).digest('hex').slice(0, 16);
  return { name: `${truncateUtf8(stem, room - 1 - digest.length)}~${digest}${suffix}`, shortened: true };
}

/** Groups indexes by a key computed from each. */
const groupBy = (indexes: readonly number[], key: (i: number) => string): number[][] => {
  const groups = new Map<string, number[]>();
  for (const i of indexes) groups.set(key(i), [...(groups.get(key(i)) ?? []), i]);
  return [...groups.values()];
};

/** Names every archive of one restore; `items` and the result share their order. */
export function restoreNames(items: readonly NamingInput[]): RestoreName[] {
  const all = items.map((_, i) => i);
  const paths = items.map((item) => keySegments(item.originalKey));
  const suffixes = items.map(() => '');
  const stamp = (i: number) =>
    (items[i] as NamingInput).label ?? objectGenerationId((items[i] as NamingInput).modified);
  const id = (i: number) => (items[i] as NamingInput).id;
  for (const group of groupBy(all, (i) => (paths[i] as string[]).join('/'))) {
    if (group.length < 2) continue;
    for (const same of groupBy(group, stamp)) {
      for (const i of same) suffixes[i] = `.${stamp(i)}${same.length > 1 ? `-${id(i).slice(0, 8)}` : ''}`;
    }
  }
  // A suffixed name can still meet another key's plain name (a key that really ends in a stamp).
  for (const group of groupBy(all, (i) => `${(paths[i] as string[]).join('/')}${suffixes[i]}`)) {
    if (group.length < 2) continue;
    for (const i of group) suffixes[i] = `${suffixes[i]}-${id(i)}`;
  }
  return paths.map((segments, i) => {
    const fitted = segments.map((s, j) => fitSegment(s, j === segments.length - 1 ? suffixes[i] : ''));
    return {
      segments: fitted.map((f) => f.name),
      renamed: suffixes[i] !== '',
      shortened: fitted.some((f) => f.shortened),
    };
  });
}
