import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type DecodedArchive, decodeArchive, type ReadDeps } from './open-archive.ts';

/** Where an original key lands under an output directory; refuses keys that would escape it. */
export function outputPathFor(dir: string, originalKey: string): string {
  const root = resolve(dir);
  const target = resolve(root, ...originalKey.split('/').filter((s) => s !== '' && s !== '.'));
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || resolve(root, rel) !== target) {
    throw new Error(`original key ${JSON.stringify(originalKey)} would be written outside ${root}`);
  }
  return target;
}

/**
 * Decodes an archive into a temporary file beside `finalPath` and moves it into place only once
 * the digest has been proved. An existing file is never replaced: `link` fails if it exists.
 */
async function decodeToFile(
  deps: ReadDeps,
  archiveKey: string,
  finalPath: (d: DecodedArchive) => string,
  tmpDir: string,
) {
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `.logvault-restore-${randomBytes(6).toString('hex')}`);
  try {
    const decoded = await decodeArchive(deps, archiveKey, createWriteStream(tmp, { flags: 'wx' }));
    const target = finalPath(decoded);
    await mkdir(dirname(target), { recursive: true });
    await link(tmp, target);
    return { decoded, path: target };
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Restores one archive under `dir` at its original key. */
export async function restoreToDirectory(deps: ReadDeps, archiveKey: string, dir: string) {
  return decodeToFile(deps, archiveKey, (d) => outputPathFor(dir, d.originalKey), resolve(dir));
}

/** Restores one archive to a stream; nothing is written to it unless the whole archive verifies. */
export async function restoreToStream(
  deps: ReadDeps,
  archiveKey: string,
  out: Writable,
): Promise<DecodedArchive> {
  const scratch = join(tmpdir(), `logvault-${randomBytes(6).toString('hex')}`);
  try {
    const { decoded, path } = await decodeToFile(deps, archiveKey, () => join(scratch, 'restored'), scratch);
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
