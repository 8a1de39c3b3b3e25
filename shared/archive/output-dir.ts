import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, realpath, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { UnsafeOutputError } from '../errors.ts';

const codeOf = (error: unknown) => (error as { code?: string }).code ?? String(error);

/**
 * Makes the output directory (one level at a time: Node's recursive mkdir loops forever under
 * paths like /proc) and proves once, up front, that a file can be created in it. Returns its real
 * path: links in the path the caller chose are resolved here, once; none is followed below it.
 */
export async function openOutputRoot(dir: string): Promise<string> {
  const missing: string[] = [];
  let existing = resolve(dir);
  while (!(await stat(existing).catch(() => undefined))) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  if (!(await stat(existing)).isDirectory()) throw new UnsafeOutputError(existing, 'not a directory');
  for (const path of missing) {
    await mkdir(path).catch((error: unknown) => {
      throw new UnsafeOutputError(path, `cannot create the directory (${codeOf(error)})`);
    });
  }
  const root = await realpath(resolve(dir));
  const probe = tempPath(root);
  await writeFile(probe, '', { flag: 'wx' }).catch((error: unknown) => {
    throw new UnsafeOutputError(root, `cannot create files there (${codeOf(error)})`);
  });
  await rm(probe, { force: true });
  return root;
}

/** A fresh name for a temporary file directly in the (real) output root. */
export function tempPath(root: string): string {
  return join(root, `.logvault-restore-${randomBytes(6).toString('hex')}`);
}

/** Finds or makes one directory level, refusing a link or anything that is not a directory. */
async function directoryStep(path: string): Promise<void> {
  let st = await lstat(path).catch(() => undefined);
  if (!st) {
    await mkdir(path).catch((error: unknown) => {
      if (codeOf(error) !== 'EEXIST') throw new UnsafeOutputError(path, `cannot create (${codeOf(error)})`);
    });
    st = await lstat(path);
  }
  if (st.isSymbolicLink()) throw new UnsafeOutputError(path, 'a symbolic link on the way (never followed)');
  if (!st.isDirectory()) throw new UnsafeOutputError(path, 'exists and is not a directory');
}

/**
 * Gives the verified temporary file `tmp` (in `root`) its name at `segments` under `root`. Every
 * directory on the way is checked with lstat, so none is a link; the name is created exclusively
 * (`link` never replaces an entry and never follows one); and afterwards the directory is checked
 * again, so a directory swapped for a link meanwhile is caught and the new name removed.
 */
export async function placeFile(root: string, segments: readonly string[], tmp: string): Promise<string> {
  let dir = root;
  for (const segment of segments.slice(0, -1)) {
    dir = join(dir, segment);
    await directoryStep(dir);
  }
  const target = join(dir, segments.at(-1) as string);
  await link(tmp, target).catch((error: unknown) => {
    const code = codeOf(error);
    throw new UnsafeOutputError(target, code === 'EEXIST' ? 'already exists (never overwritten)' : code);
  });
  const [placed, ours, real] = await Promise.all([lstat(target), lstat(tmp), realpath(dir)]);
  if (real !== dir || placed.ino !== ours.ino) {
    if (placed.ino === ours.ino) await unlink(target);
    throw new UnsafeOutputError(target, 'a directory on the way was replaced by a link during the restore');
  }
  return target;
}
