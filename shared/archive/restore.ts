import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IntegrityError, NotSelectedError, OutsideRangeError } from '../errors.ts';
import { globMatches } from '../policy/glob.ts';
import { type ParsedArchiveKey, parseArchiveKey, splitSourceKey } from './layout.ts';
import { type DecodedArchive, decodeArchive, type ProvedArchive, type ReadDeps } from './open-archive.ts';
import { openOutputRoot, placeFile, tempPath } from './output-dir.ts';
import { keySegments, type RestoreName, restoreNames } from './restore-names.ts';
import { metadataNotes, namingTime, type TimeRange, within } from './selection.ts';

export interface RestoreOptions extends TimeRange {
  /** Every archive's authenticated key must lie under this source. */
  readonly source?: string;
  /** A glob (see policy/glob.ts) the authenticated key below its source must match. */
  readonly path?: string;
  /** Runs before each archive is read (e.g. to thaw one in a cold storage class). */
  readonly prepare?: (archiveKey: string) => Promise<void>;
  readonly onEach?: (archiveKey: string) => void;
}

export type RestoreResult =
  | {
      readonly status: 'restored';
      readonly archiveKey: string;
      readonly decoded: DecodedArchive;
      readonly path: string;
      readonly segments: readonly string[];
      /** Other archives restore to the same path, so this one carries a version suffix. */
      readonly renamed: boolean;
      /** A path segment was over 255 bytes and was cut. */
      readonly shortened: boolean;
      /** Where the unauthenticated metadata disagrees with what the archive proved. */
      readonly notes: readonly string[];
    }
  | { readonly status: 'outside-range'; readonly archiveKey: string; readonly modified: Date }
  | { readonly status: 'not-selected'; readonly archiveKey: string; readonly originalKey: string }
  | { readonly status: 'failed'; readonly archiveKey: string; readonly error: Error };

/** The checks a restore adds once the context is proved, before any plaintext is written. */
export function restoreCheck(opts: Pick<RestoreOptions, 'source' | 'path' | 'from' | 'to'>) {
  return (proved: ProvedArchive) => {
    const { source, relative } = splitSourceKey(proved.key);
    if (opts.source !== undefined && source !== opts.source) {
      throw new IntegrityError(
        proved.archiveKey,
        `authenticated key ${JSON.stringify(proved.key)} is not under source ${opts.source}`,
      );
    }
    // Archives without an authenticated time were selected by their key's day, when listed.
    if (proved.modified && !within(proved.modified, opts)) {
      throw new OutsideRangeError(proved.archiveKey, proved.modified);
    }
    if (opts.path !== undefined && !globMatches(opts.path, relative))
      throw new NotSelectedError(proved.archiveKey, proved.key);
  };
}

/**
 * Restores archives under `dir`. Each is decoded into a temporary file in `dir` and proved; only
 * then are all of them named together (restore-names.ts: one path per archive, however their
 * keys collide) and moved into place, never through a link and never over an existing entry.
 * One archive's failure never stops the others.
 */
export async function restoreArchives(
  deps: ReadDeps,
  archiveKeys: readonly string[],
  dir: string,
  opts: RestoreOptions = {},
): Promise<RestoreResult[]> {
  const root = await openOutputRoot(dir);
  const results: (RestoreResult | undefined)[] = [];
  const proved: Proved[] = [];
  try {
    for (const archiveKey of archiveKeys) {
      const outcome = await decodeToTemp(deps, archiveKey, root, opts);
      if ('tmp' in outcome) proved.push({ ...outcome, index: results.length });
      results.push('tmp' in outcome ? undefined : outcome);
      opts.onEach?.(archiveKey);
    }
    const named = proved.filter((p) => {
      try {
        keySegments(p.decoded.originalKey);
        return true;
      } catch (error) {
        results[p.index] = { status: 'failed', archiveKey: p.decoded.archiveKey, error: error as Error };
        return false;
      }
    });
    const names = restoreNames(
      named.map((p) => ({
        originalKey: p.decoded.originalKey,
        modified: namingTime({ ...p.decoded, day: p.day }),
        id: p.id,
      })),
    );
    for (const [i, p] of named.entries()) {
      const name = names[i] as RestoreName;
      results[p.index] = await place(root, p, name);
    }
  } finally {
    await Promise.all(proved.map((p) => rm(p.tmp, { force: true })));
  }
  return results as RestoreResult[];
}

/** An archive decoded into a temporary file in the output root and proved, not yet named. */
export interface Proved {
  readonly index: number;
  readonly decoded: DecodedArchive;
  readonly tmp: string;
  readonly day: string;
  readonly id: string;
}

/** Decodes and proves one archive into a temporary file in the root; nothing is left on failure. */
export async function decodeToTemp(
  deps: ReadDeps,
  archiveKey: string,
  root: string,
  opts: RestoreOptions,
): Promise<Omit<Proved, 'index'> | RestoreResult> {
  const tmp = tempPath(root);
  try {
    await opts.prepare?.(archiveKey);
    const sink = createWriteStream(tmp, { flags: 'wx' });
    const decoded = await decodeArchive(deps, archiveKey, sink, restoreCheck(opts));
    const parsed = parseArchiveKey(archiveKey) as ParsedArchiveKey;
    return { decoded, tmp, day: parsed.day, id: parsed.id };
  } catch (error) {
    await rm(tmp, { force: true });
    if (error instanceof OutsideRangeError)
      return { status: 'outside-range', archiveKey, modified: error.modified };
    if (error instanceof NotSelectedError)
      return { status: 'not-selected', archiveKey, originalKey: error.originalKey };
    return { status: 'failed', archiveKey, error: error as Error };
  }
}

/** Names a proved archive's temporary file (see output-dir.ts), with what its metadata says otherwise. */
export async function place(root: string, p: Proved, name: RestoreName): Promise<RestoreResult> {
  const { archiveKey } = p.decoded;
  try {
    const path = await placeFile(root, name.segments, p.tmp);
    const notes = metadataNotes(p.decoded.metadata, { ...p.decoded, day: p.day });
    return { status: 'restored', archiveKey, decoded: p.decoded, path, ...name, notes };
  } catch (error) {
    return { status: 'failed', archiveKey, error: error as Error };
  }
}

/** Restores one archive under `dir`; throws what stopped it. */
export async function restoreToDirectory(
  deps: ReadDeps,
  archiveKey: string,
  dir: string,
): Promise<{ decoded: DecodedArchive; path: string }> {
  const [result] = await restoreArchives(deps, [archiveKey], dir);
  if (result?.status === 'restored') return result;
  throw result?.status === 'failed' ? result.error : new Error(`${archiveKey}: not restored`);
}

/** Restores one archive to a stream; nothing is written to it unless the whole archive verifies. */
export async function restoreToStream(
  deps: ReadDeps,
  archiveKey: string,
  out: Writable,
  opts: Pick<RestoreOptions, 'source' | 'from' | 'to'> = {},
): Promise<DecodedArchive> {
  const scratch = join(tmpdir(), `logvault-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(scratch, { mode: 0o700 });
    const path = join(scratch, 'restored');
    const sink = createWriteStream(path, { flags: 'wx' });
    const decoded = await decodeArchive(deps, archiveKey, sink, restoreCheck(opts));
    await pipeline(createReadStream(path), out, { end: false });
    return decoded;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** Decodes an archive to nowhere, proving it restores. */
export async function verifyArchive(deps: ReadDeps, archiveKey: string): Promise<DecodedArchive> {
  return decodeArchive(deps, archiveKey, new Writable({ write: (_c, _e, done) => done() }));
}
