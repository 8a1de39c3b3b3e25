import { createHash } from 'node:crypto';
import { type Dirent, constants as fsConstants } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import {
  FINGERPRINT_BYTES,
  gzipKey,
  MAX_LINE_BYTES,
  type ObservedContent,
  type ObservedFile,
} from './observed.ts';
import { globSegments, type ScanPattern, segmentMatches } from './paths.ts';

/**
 * The shipper's look at the disk: expands the patterns and describes each file found (stat,
 * fingerprints, where its last complete line ends) as plain data for plan.ts. It only reads.
 */

export interface ScanResult {
  readonly files: ObservedFile[];
  /** Files and directories it could not read, said once each; a problem is never a loss. */
  readonly problems: string[];
}

export interface ScanOptions {
  /** Lengths to fingerprint each file at, besides min(size, 4096): those tracked generations use. */
  readonly lengths: readonly number[];
  /** Gzip files known unchanged (gzipKey), which are not decompressed again. */
  readonly knownGzip: ReadonlySet<string>;
}

async function listDir(dir: string, problems: string[]): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') problems.push(`cannot list ${dir}: ${code}`);
    return [];
  }
}

const isDir = async (path: string) => (await stat(path).catch(() => undefined))?.isDirectory() ?? false;

/** Directories below `dir` (itself included), not through links and not into hidden ones, as `**` walks. */
async function walkDirs(dir: string, problems: string[], hidden: boolean): Promise<string[]> {
  const out = [dir];
  for (const e of await listDir(dir, problems)) {
    if (e.isDirectory() && (hidden || !e.name.startsWith('.'))) {
      out.push(...(await walkDirs(join(dir, e.name), problems, hidden)));
    }
  }
  return out;
}

async function expandGlob(glob: string, problems: string[]): Promise<string[]> {
  let current = ['/'];
  const segments = globSegments(glob);
  for (const [i, segment] of segments.entries()) {
    const last = i === segments.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (segment === '**') {
        next.push(...(await walkDirs(dir, problems, false)));
        if (last) {
          for (const d of next.splice(0)) {
            for (const e of await listDir(d, problems))
              if (!e.name.startsWith('.')) next.push(join(d, e.name));
          }
        }
      } else if (!/[*?[\\]/.test(segment)) {
        next.push(join(dir, segment));
      } else {
        for (const e of await listDir(dir, problems))
          if (segmentMatches(segment, e.name)) next.push(join(dir, e.name));
      }
    }
    current = last
      ? next
      : (await Promise.all(next.map(async (p) => ((await isDir(p)) ? p : '')))).filter(Boolean);
  }
  return current;
}

async function expandTree(root: string, problems: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const dir of await walkDirs(root, problems, true)) {
    for (const e of await listDir(dir, problems)) if (!e.isDirectory()) files.push(join(dir, e.name));
  }
  return files;
}

/** Every path the patterns name, once each, in pattern order (regular files are sorted out later). */
export async function expand(patterns: readonly ScanPattern[], problems: string[]): Promise<string[]> {
  const seen = new Set<string>();
  for (const p of patterns) {
    const found = 'tree' in p ? await expandTree(p.tree, problems) : await expandGlob(p.glob, problems);
    for (const path of found.sort()) seen.add(path);
  }
  return [...seen];
}

const GZIP = [0x1f, 0x8b];
// xz, bzip2, zstd, lz4: compressed logs the shipper cannot read, which it must not send as text.
const OTHER_COMPRESSION = [
  [0xfd, 0x37, 0x7a, 0x58, 0x5a],
  [0x42, 0x5a, 0x68],
  [0x28, 0xb5, 0x2f, 0xfd],
  [0x04, 0x22, 0x4d, 0x18],
];
const startsWith = (buf: Buffer, magic: number[]) => magic.every((b, i) => buf[i] === b);

function heads(head: Buffer, length: number, lengths: readonly number[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of new Set([...lengths, Math.min(length, FINGERPRINT_BYTES)])) {
    if (n > 0 && n <= length && n <= head.length) {
      out[String(n)] = createHash('sha256').update(head.subarray(0, n)).digest('hex');
    }
  }
  return out;
}

/** Offset just past the last newline within the last MAX_LINE_BYTES before `size`. */
async function lineEndBefore(fh: FileHandle, size: number): Promise<number | undefined> {
  const floor = Math.max(0, size - MAX_LINE_BYTES);
  let end = size;
  let chunk = 16 * 1024;
  while (end > floor) {
    const from = Math.max(floor, end - chunk);
    const buf = Buffer.alloc(end - from);
    const { bytesRead } = await fh.read(buf, 0, buf.length, from);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (nl >= 0) return from + nl + 1;
    end = from;
    chunk *= 4;
  }
  return undefined;
}

/** Decompresses a whole gzip file once, keeping only its length, head and last newline. */
async function gzipContent(fh: FileHandle, lengths: readonly number[]): Promise<ObservedContent> {
  const head: Buffer[] = [];
  let headBytes = 0;
  let length = 0;
  let lastNewline = -1;
  let complete = true;
  const raw = fh.createReadStream({ start: 0, autoClose: false });
  try {
    const gunzip = raw.pipe(createGunzip());
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (headBytes < FINGERPRINT_BYTES) {
        head.push(chunk.subarray(0, FINGERPRINT_BYTES - headBytes));
        headBytes += Math.min(chunk.length, FINGERPRINT_BYTES - headBytes);
      }
      const nl = chunk.lastIndexOf(0x0a);
      if (nl >= 0) lastNewline = length + nl;
      length += chunk.length;
    }
  } catch {
    complete = false;
  } finally {
    raw.destroy();
  }
  const lineEnd =
    lastNewline >= 0 && length - (lastNewline + 1) < MAX_LINE_BYTES ? lastNewline + 1 : undefined;
  return {
    length,
    heads: heads(Buffer.concat(head), length, lengths),
    complete,
    ...(lineEnd === undefined ? {} : { lineEnd }),
  };
}

/** Describes one file, or returns undefined for anything that is not a regular file it can read as a log. */
export async function observe(
  path: string,
  opts: ScanOptions,
  problems: string[],
): Promise<ObservedFile | undefined> {
  let fh: FileHandle;
  try {
    // Non-blocking, so a FIFO among the logs cannot stall the run; it is then passed over as not a file.
    fh = await open(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR') problems.push(`cannot open ${path}: ${code}`);
    return undefined;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return undefined;
    const base = {
      path,
      dev: st.dev,
      ino: st.ino,
      bytes: st.size,
      mtimeMs: st.mtimeMs,
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
    };
    const head = Buffer.alloc(Math.min(st.size, FINGERPRINT_BYTES));
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    const first = head.subarray(0, bytesRead);
    if (startsWith(first, GZIP)) {
      const file = { ...base, gzip: true };
      if (opts.knownGzip.has(gzipKey(file))) return file;
      return { ...file, content: await gzipContent(fh, opts.lengths) };
    }
    if (OTHER_COMPRESSION.some((m) => startsWith(first, m))) {
      problems.push(`not read: ${path} is compressed with something other than gzip`);
      return undefined;
    }
    const lineEnd = st.size > 0 ? await lineEndBefore(fh, st.size) : undefined;
    const content: ObservedContent = {
      length: st.size,
      heads: heads(first, st.size, opts.lengths),
      complete: true,
      ...(lineEnd === undefined ? {} : { lineEnd }),
    };
    return { ...base, gzip: false, content };
  } catch (error) {
    problems.push(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
    return undefined;
  } finally {
    await fh.close();
  }
}

/** Expands the patterns and observes every regular file they name. */
export async function scan(patterns: readonly ScanPattern[], opts: ScanOptions): Promise<ScanResult> {
  const problems: string[] = [];
  const files: ObservedFile[] = [];
  for (const path of await expand(patterns, problems)) {
    const f = await observe(path, opts, problems);
    if (f) files.push(f);
  }
  return { files, problems };
}
