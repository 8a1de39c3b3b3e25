import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Content, modification time, inode and mode: what "the shipper never touched the file" means. */
export function fileState(path: string) {
  const st = statSync(path);
  return {
    sha: createHash('sha256').update(readFileSync(path)).digest('hex'),
    mtimeMs: st.mtimeMs,
    ino: st.ino,
    mode: st.mode,
  };
}

/** Leaves the shipper's lock in `stateDir` held by this (live) process, as a run in progress would. */
export function holdShipperLock(stateDir: string): void {
  mkdirSync(stateDir, { recursive: true });
  const stat = readFileSync(`/proc/${process.pid}/stat`, 'utf8');
  // pid and start time (field 22, after the parenthesised command name), as shared/ship/lock.ts writes them.
  writeFileSync(
    join(stateDir, 'lock'),
    `${process.pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}\n`,
  );
}
