/**
 * What a scan saw of one file, as plain data: the input of the shipper's decisions (plan.ts).
 * The scan (scan.ts) fills it in; nothing here touches the file system.
 */

/** A generation is known by its device, inode and the SHA-256 of up to this many first bytes. */
export const FINGERPRINT_BYTES = 4096;
/** A file with no newline in its last this-many bytes is not waited on for one. */
export const MAX_LINE_BYTES = 1024 * 1024;

export interface ObservedContent {
  /** Bytes of log: the file's size, or what its gzip stream decompresses to. */
  readonly length: number;
  /** Offset just past the last `\n` within the last MAX_LINE_BYTES; undefined when there is none. */
  readonly lineEnd?: number;
  /** Hex SHA-256 of the first n bytes, keyed by n: for min(length, 4096) and each length asked for. */
  readonly heads: Readonly<Record<string, string>>;
  /** False for a gzip stream that ends early or is corrupt (what it decoded is in `length`). */
  readonly complete: boolean;
}

export interface ObservedFile {
  readonly path: string;
  readonly dev: number;
  readonly ino: number;
  /** Size on disk. */
  readonly bytes: number;
  readonly mtimeMs: number;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  readonly gzip: boolean;
  /** Absent for a gzip file the state already knows unchanged: it is not decompressed again. */
  readonly content?: ObservedContent;
}

/** The key under which an unchanged gzip file is known: decompressing it again would tell nothing new. */
export function gzipKey(f: {
  readonly dev: number;
  readonly ino: number;
  readonly bytes: number;
  readonly mtimeMs: number;
}): string {
  return `${f.dev}:${f.ino}:${f.bytes}:${f.mtimeMs}`;
}

/** True when the content's first `fingerprint.length` bytes hash to the fingerprint. */
export function headMatches(
  content: ObservedContent | undefined,
  fingerprint: { readonly length: number; readonly sha256: string },
): boolean {
  return content?.heads[String(fingerprint.length)] === fingerprint.sha256;
}
