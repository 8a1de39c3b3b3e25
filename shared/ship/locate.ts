import { gzipKey, headMatches, type ObservedFile } from './observed.ts';
import type { KnownCopy, TrackedGeneration } from './state.ts';

/** Where the scan found each tracked generation, and what it could not find. */
export interface Located {
  /** Generation id → the file that now holds its bytes, and how many bytes of the log it holds. */
  readonly carriers: ReadonlyMap<string, { readonly index: number; readonly length: number }>;
  /** File index → generation id, for every file that is a generation's carrier or a copy of it. */
  readonly claimed: ReadonlyMap<number, string>;
  /**
   * Generations whose inode is still there but holds something else: `truncated` when it shrank,
   * `deleted` when it did not (the file was deleted and its inode reused for another).
   */
  readonly replaced: ReadonlyMap<string, 'truncated' | 'deleted'>;
  /** Generations whose only match is a gzip stream that cannot be read to its end. */
  readonly corrupt: ReadonlySet<string>;
}

const sameInode = (f: ObservedFile, g: TrackedGeneration) =>
  f.dev === g.file.dev && f.ino === g.file.ino && f.gzip === g.file.gzip;

/** True when the file at the generation's inode still holds that generation. */
function stillHolds(f: ObservedFile, g: TrackedGeneration): boolean {
  if (!f.content) return f.bytes === g.file.bytes && f.mtimeMs === g.file.mtimeMs;
  if (!f.content.complete || !headMatches(f.content, g.fingerprint)) return false;
  // A file that shrank was truncated, even if its first bytes happen to be the same again.
  return f.content.length >= (f.gzip ? g.through : g.file.size);
}

/** How much of a generation a file that is not its inode holds, if it holds its beginning at all. */
function copyLength(f: ObservedFile, g: TrackedGeneration, copies: readonly KnownCopy[]): number | undefined {
  if (f.content)
    return f.content.complete && headMatches(f.content, g.fingerprint) ? f.content.length : undefined;
  const known = copies.find((c) => c.generation === g.generation && gzipKey(c) === gzipKey(f));
  return known?.size;
}

/**
 * Finds each tracked generation in what the scan saw: first at its own inode (renamed or not), with
 * its fingerprint re-checked so a reused inode is not taken for it; then, for one no longer there,
 * in a copy that holds at least what was already sent of it (a `copytruncate` copy, a gzip of a
 * rotated log). Of several copies the longest wins, a plain file over a gzip of the same length.
 */
export function locate(
  generations: readonly TrackedGeneration[],
  files: readonly ObservedFile[],
  copies: readonly KnownCopy[],
): Located {
  const carriers = new Map<string, { index: number; length: number }>();
  const claimed = new Map<number, string>();
  const replaced = new Map<string, 'truncated' | 'deleted'>();
  const corrupt = new Set<string>();

  for (const g of generations) {
    const candidates = files
      .map((f, i) => ({ f, i }))
      .filter(({ f, i }) => !claimed.has(i) && sameInode(f, g));
    const at = candidates.find(({ f }) => f.path === g.file.path) ?? candidates[0];
    if (!at) continue;
    if (stillHolds(at.f, g)) {
      carriers.set(g.generation, { index: at.i, length: at.f.content?.length ?? g.file.size });
      // Hard links to the same inode are the same bytes under another name.
      for (const { i } of candidates) claimed.set(i, g.generation);
    } else {
      const length = at.f.content?.length ?? at.f.bytes;
      replaced.set(g.generation, length < g.file.size ? 'truncated' : 'deleted');
    }
  }

  const missing = [...generations]
    .filter((g) => !carriers.has(g.generation))
    .sort((a, b) => (a.generation < b.generation ? -1 : 1));
  for (const g of missing) {
    let best: { i: number; length: number; gzip: boolean } | undefined;
    files.forEach((f, i) => {
      if (claimed.has(i)) return;
      const length = copyLength(f, g, copies);
      if (length === undefined) {
        if (f.content && !f.content.complete && headMatches(f.content, g.fingerprint))
          corrupt.add(g.generation);
        return;
      }
      if (length < g.through) return;
      if (!best || length > best.length || (length === best.length && best.gzip && !f.gzip)) {
        best = { i, length, gzip: f.gzip };
      }
    });
    if (best) {
      carriers.set(g.generation, { index: best.i, length: best.length });
      claimed.set(best.i, g.generation);
      corrupt.delete(g.generation);
    }
  }
  return { carriers, claimed, replaced, corrupt };
}
