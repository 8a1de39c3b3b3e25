import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ShipStateError } from '../errors.ts';
import {
  arrayOf,
  boolean,
  type Checked,
  finite,
  integer,
  isoInstant,
  literal,
  nullable,
  object,
  ShapeError,
  string,
} from '../json-shape.ts';
import { type BatchHeader, parseBatchHeader } from '../segments/batch-format.ts';

/**
 * The shipper's state, `<state dir>/state.json` (v1): what it has sent of each generation of each
 * log, where it last saw each, and the batch it is sending. This module is its only reader and
 * writer. Written atomically (temporary file, fsync, rename, fsync of the directory), so a crash
 * leaves either the old state or the new one.
 */
export const STATE_FILE = 'state.json';
/** Where the instance shipper keeps its state (systemd's StateDirectory=logvault). */
export const INSTANCE_STATE_DIR = '/var/lib/logvault/ship';

const sha256 = string({ pattern: /^[0-9a-f]{64}$/ });

/** Where a generation's bytes were last seen. */
const fileShape = object({
  path: string({ min: 1 }),
  dev: integer(),
  ino: integer(),
  gzip: boolean,
  /** Size on disk. */
  bytes: integer(),
  /** Length of the log's content: the file's size, or what its gzip stream decompresses to. */
  size: integer(),
  mtimeMs: finite,
  mode: integer(0, 0o7777),
  uid: integer(),
  gid: integer(),
});

const generationShape = object(
  {
    /** The log's own path: where the generation was first seen, or the log a rotated copy came from. */
    path: string({ min: 1 }),
    generation: string({ min: 1 }),
    firstSeen: isoInstant,
    /** SHA-256 of the first `length` (≤ 4096) bytes: with dev and ino, the generation's identity. */
    fingerprint: object({ length: integer(1, 4096), sha256 }),
    /** Bytes accounted for: sent in a batch, or reported lost in a gap. */
    through: integer(),
    closed: boolean,
    file: fileShape,
  },
  { missingSince: isoInstant },
);

/** A second copy of a generation's content (a gzip of a rotated log, a `copy` rotation): never sent again. */
const copyShape = object({
  generation: string({ min: 1 }),
  dev: integer(),
  ino: integer(),
  bytes: integer(),
  size: integer(),
  mtimeMs: finite,
});

const pendingShape = object({ key: string({ min: 1 }), header: (v, at) => checkHeader(v, at) });

function checkHeader(value: unknown, at: string): BatchHeader {
  try {
    return parseBatchHeader(value);
  } catch (error) {
    throw new ShapeError(at, (error as Error).message);
  }
}

const stateShape = object({
  v: literal(1),
  source: string({ min: 1 }),
  prefix: string({ min: 1 }),
  createdAt: isoInstant,
  /** The last batch S3 acknowledged: the next batch's `prev`. */
  prev: nullable(string({ min: 1 })),
  generations: arrayOf(generationShape),
  copies: arrayOf(copyShape),
  /** Written before its upload, cleared once S3 acknowledges it: a run that finds it sends it again first. */
  pending: nullable(pendingShape),
});

export type ShipState = Checked<typeof stateShape>;
export type TrackedGeneration = ShipState['generations'][number];
export type FileRecord = TrackedGeneration['file'];
export type KnownCopy = ShipState['copies'][number];
export type PendingBatch = NonNullable<ShipState['pending']>;

/** The state of a shipper that has never run: its first run is its first contact with the host. */
export function emptyState(source: string, prefix: string, now: Date): ShipState {
  return {
    v: 1,
    source,
    prefix,
    createdAt: now.toISOString(),
    prev: null,
    generations: [],
    copies: [],
    pending: null,
  };
}

export function encodeState(state: ShipState): string {
  return `${JSON.stringify(stateShape(state, ''))}\n`;
}

/** @throws ShipStateError naming the field that is wrong. */
export function parseState(text: string, where = STATE_FILE): ShipState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ShipStateError(`${where} is not JSON`);
  }
  try {
    return stateShape(raw, '');
  } catch (error) {
    if (error instanceof ShapeError) throw new ShipStateError(`${where} is invalid at ${error.message}`);
    throw error;
  }
}

/**
 * The state in `dir`, or undefined when there is none yet (first contact).
 * @throws ShipStateError when it is unreadable, or was written for another source or key prefix.
 */
export function readState(dir: string, source: string, prefix: string): ShipState | undefined {
  const path = join(dir, STATE_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ShipStateError(`cannot read ${path}: ${(error as Error).message}`);
  }
  const state = parseState(text, path);
  if (state.source !== source || state.prefix !== prefix) {
    throw new ShipStateError(
      `${path} belongs to source ${JSON.stringify(state.source)} (prefix ${JSON.stringify(state.prefix)}), ` +
        `not ${JSON.stringify(source)} (prefix ${JSON.stringify(prefix)}): give each its own state directory`,
    );
  }
  return state;
}

/** Replaces the state in `dir` atomically and durably. */
export function writeState(dir: string, state: ShipState): void {
  const path = join(dir, STATE_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, encodeState(state));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

/** Creates the state directory (owner-only) if it is missing. */
export function ensureStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Where `logvault ship --source S` keeps its state without `--state`:
 * `$XDG_STATE_HOME/logvault/ship/S`, else `~/.local/state/logvault/ship/S`.
 */
export function defaultStateDir(source: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME?.startsWith('/') ? env.XDG_STATE_HOME : join(homedir(), '.local', 'state');
  return join(base, 'logvault', 'ship', source);
}
