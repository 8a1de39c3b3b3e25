import { constants, type FileHandle, open, rm } from 'node:fs/promises';
import { tempPath } from '../archive/output-dir.ts';

/** What a written member says of itself in a disagreement. */
interface Placed {
  readonly id: string;
  readonly batch?: string;
  readonly start: number;
  readonly end: number;
}

interface TempFile {
  readonly tmp: string;
  readonly written: Placed[];
}

/** What to give the restored file, as recorded at ship time. */
export interface FileAttributes {
  readonly extent: number;
  readonly mode?: number;
  readonly mtime?: string;
  /** Only when restoring owners was asked for (and possible: as root). */
  readonly owner?: { readonly uid: number; readonly gid: number };
}

const label = (p: Placed) => `${p.id}${p.batch ? ` (batch ${p.batch})` : ''}`;

/**
 * Reassembles generations in temporary files directly in the (real) output root, one per
 * generation, each member written at its true offset as it arrives, whatever the order. Where a
 * member overlaps bytes already written, they are compared first: a disagreement names both and
 * leaves the first bytes in place. Files are created exclusively and reopened without following
 * links; nothing here is ever named as a restored file (see output-dir.ts for that).
 */
export class Reassembly {
  readonly #root: string;
  readonly #files = new Map<string, TempFile>();
  readonly #disagreements = new Map<string, string[]>();

  constructor(root: string) {
    this.#root = root;
  }

  async #open(key: string): Promise<{ file: TempFile; handle: FileHandle }> {
    const known = this.#files.get(key);
    if (known) return { file: known, handle: await open(known.tmp, constants.O_RDWR | constants.O_NOFOLLOW) };
    const file = { tmp: tempPath(this.#root), written: [] };
    const handle = await open(file.tmp, 'wx', 0o600);
    this.#files.set(key, file);
    return { file, handle };
  }

  /** Writes a member's proven bytes at `at` in the generation `key`'s file. */
  async write(key: string, at: number, member: Omit<Placed, 'start' | 'end'>, bytes: Buffer): Promise<void> {
    const { file, handle } = await this.#open(key);
    const placed = { ...member, start: at, end: at + bytes.length };
    try {
      for (const w of file.written) {
        const lo = Math.max(placed.start, w.start);
        const hi = Math.min(placed.end, w.end);
        if (lo >= hi) continue;
        const there = Buffer.alloc(hi - lo);
        await handle.read(there, 0, there.length, lo);
        if (!there.equals(bytes.subarray(lo - at, hi - at))) {
          const list = this.#disagreements.get(key) ?? [];
          list.push(`segments ${label(w)} and ${label(placed)} hold different bytes [${lo}, ${hi})`);
          this.#disagreements.set(key, list);
          return;
        }
      }
      await handle.write(bytes, 0, bytes.length, at);
      file.written.push(placed);
    } finally {
      await handle.close();
    }
  }

  disagreements(key: string): readonly string[] {
    return this.#disagreements.get(key) ?? [];
  }

  /**
   * Gives a generation's file its length (holes stay holes: unwritten ranges read as zeros) and
   * what was recorded at ship time: permission bits (never setuid, setgid or sticky: a restored
   * log is data), the owner when asked, and the modification time. Answers the file's path.
   */
  async finish(key: string, attrs: FileAttributes): Promise<string> {
    const { file, handle } = await this.#open(key);
    try {
      await handle.truncate(attrs.extent);
      if (attrs.owner) await handle.chown(attrs.owner.uid, attrs.owner.gid);
      if (attrs.mode !== undefined) await handle.chmod(attrs.mode & 0o777);
      if (attrs.mtime) {
        const mtime = new Date(attrs.mtime);
        await handle.utimes(mtime, mtime);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    return file.tmp;
  }

  /** Removes every temporary file (placed files are other names for them and stay). */
  async cleanup(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => rm(f.tmp, { force: true })));
  }
}
