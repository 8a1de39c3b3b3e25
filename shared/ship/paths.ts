import { posix } from 'node:path';

/**
 * What the shipper looks at: glob patterns (the instance's LOGVAULT_LOG_PATHS, and a file given to
 * `logvault ship`, escaped) or whole directory trees (a directory given to `logvault ship`).
 *
 * Globs read as bash reads them with `globstar` and `nullglob`: `*`, `?` and `[...]` match within
 * one path segment, `**` as a whole segment matches any number of directories, a leading `.` is
 * matched only by a literal `.`, and `\` escapes the next character.
 */
export type ScanPattern = { readonly glob: string } | { readonly tree: string };

const compiled = new Map<string, RegExp | string>();

/** A glob segment as a RegExp, or as the literal name it is when it holds no wildcard. */
export function compileSegment(segment: string): RegExp | string {
  const cached = compiled.get(segment);
  if (cached !== undefined) return cached;
  let re = '';
  let literal = '';
  let wild = false;
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '\\' && i + 1 < segment.length) {
      const next = segment[++i] as string;
      re += escapeRe(next);
      literal += next;
    } else if (c === '*') {
      re += '[^/]*';
      wild = true;
    } else if (c === '?') {
      re += '[^/]';
      wild = true;
    } else if (c === '[' && segment.indexOf(']', i + 2) > i) {
      const close = segment.indexOf(']', i + 2);
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, '\\$&')}]`;
      i = close;
      wild = true;
    } else {
      re += escapeRe(c);
      literal += c;
    }
  }
  // As in bash, a wildcard never matches a leading dot.
  const result = wild ? new RegExp(`^${segment.startsWith('.') ? '' : '(?!\\.)'}${re}$`, 's') : literal;
  compiled.set(segment, result);
  return result;
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** True when a directory entry's name matches one glob segment. */
export function segmentMatches(segment: string, name: string): boolean {
  const compiledSegment = compileSegment(segment);
  return typeof compiledSegment === 'string' ? compiledSegment === name : compiledSegment.test(name);
}

/** A path as a glob that matches exactly that path. */
export function escapeGlob(path: string): string {
  return path.replace(/[\\*?[]/g, '\\$&');
}

/** The glob's segments after the leading `/`. */
export function globSegments(glob: string): string[] {
  return glob.split('/').slice(1);
}

function matchSegments(pattern: string[], parts: string[]): boolean {
  if (pattern.length === 0) return parts.length === 0;
  const [head, ...rest] = pattern as [string, ...string[]];
  if (head === '**') {
    for (let skip = 0; skip <= parts.length; skip++) {
      if (parts.slice(0, skip).some((p) => p.startsWith('.'))) return false;
      if (matchSegments(rest, parts.slice(skip))) return true;
    }
    return false;
  }
  return parts.length > 0 && segmentMatches(head, parts[0] as string) && matchSegments(rest, parts.slice(1));
}

/** True when the pattern covers this absolute path: the test of whether a vanished file was looked for. */
export function patternCovers(pattern: ScanPattern, path: string): boolean {
  if ('tree' in pattern)
    return path.startsWith(pattern.tree.endsWith('/') ? pattern.tree : `${pattern.tree}/`);
  return matchSegments(globSegments(pattern.glob), path.split('/').slice(1));
}

/**
 * The globs the instance shipper expands for one configured glob: the glob itself and its rotated
 * copies, `G-*` (messages-20261124) and `G.*` (app.log.1, app.log.2.gz).
 */
export function withRotations(glob: string): ScanPattern[] {
  return [{ glob }, { glob: `${glob}-*` }, { glob: `${glob}.*` }];
}

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|Z)$/;
// app.log.1, app.log-20261124, messages.20261124, app.log.2026-11-24, app.log-2026112403
const ROTATION = /[.-](\d{1,20}|\d{4}-\d{2}-\d{2}(-\d+)?)$/;

/** True for a name a log rotation gives: numbered, dated or compressed. */
export function isRotatedName(path: string): boolean {
  const name = posix.basename(path);
  return COMPRESSED.test(name) || ROTATION.test(name);
}

/**
 * True when `path` is a rotated copy of another file that is there too: `app.log.1` beside
 * `app.log`. A name like `server-01` with no `server` beside it is a log of its own.
 */
export function isRotatedCopy(path: string, present: ReadonlySet<string>): boolean {
  const from = rotatedFrom(path);
  return from !== path && isRotatedName(path) && present.has(from);
}

/** The log a rotated copy was rotated from: `/var/log/app.log.2.gz` → `/var/log/app.log`. */
export function rotatedFrom(path: string): string {
  const dir = posix.dirname(path);
  let name = posix.basename(path).replace(COMPRESSED, '');
  name = name.replace(ROTATION, '');
  return name ? posix.join(dir, name) : path;
}
