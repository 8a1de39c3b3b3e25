import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ShipLockedError } from '../errors.ts';

const LOCK_FILE = 'lock';

/** The holder's pid and its start time (from /proc), so a pid reused after a crash is not mistaken for it. */
function identity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) comes after the command name, which is in parentheses and may hold spaces.
    return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

function holderAlive(text: string): boolean {
  const pid = Number(text.split(' ')[0]);
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = identity(pid);
  return now === undefined || now === text.trim();
}

/**
 * Takes the state directory's lock, so two runs never ship from one state at once (a timer's run
 * and one started by hand, or overlapping cron jobs). A lock left by a run that died is taken over.
 * Returns the release function.
 * @throws ShipLockedError while another live run holds it.
 */
export function acquireLock(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const me = identity(process.pid) ?? String(process.pid);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${me}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(path, 'utf8').trim() === me) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = '';
    try {
      holder = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    if (holderAlive(holder))
      throw new ShipLockedError(`another run (pid ${holder.split(' ')[0]}) holds ${path}`);
    try {
      unlinkSync(path);
    } catch {
      // Another run removed it first; try again.
    }
  }
  throw new ShipLockedError(`another run is taking over ${path}`);
}
