import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openOutputRoot, placeFile, tempPath } from '#shared/archive/output-dir.ts';
import { UnsafeOutputError } from '#shared/errors.ts';

const scratch = () => mkdtempSync(join(tmpdir(), 'lv-out-'));

async function verifiedTemp(root: string, body = 'restored') {
  const tmp = tempPath(root);
  writeFileSync(tmp, body, { flag: 'wx' });
  return tmp;
}

describe('output directory', () => {
  it('creates missing levels and places a file at its segments', async () => {
    const root = await openOutputRoot(join(scratch(), 'a', 'b'));
    const tmp = await verifiedTemp(root);
    const path = await placeFile(root, ['web', 'app', 'x.log'], tmp);
    expect(path).toBe(join(root, 'web', 'app', 'x.log'));
    expect(readFileSync(path, 'utf8')).toBe('restored');
  });

  it('refuses a link on the way, names it, and writes nothing where it points', async () => {
    const dir = scratch();
    const elsewhere = scratch();
    symlinkSync(elsewhere, join(dir, 'web'));
    const root = await openOutputRoot(dir);
    const error = await placeFile(root, ['web', 'x.log'], await verifiedTemp(root)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsafeOutputError);
    expect((error as Error).message).toContain(join(root, 'web'));
    expect((error as Error).message).toMatch(/symbolic link/);
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('never replaces an existing file, nor writes through a link in the file name', async () => {
    const dir = scratch();
    const elsewhere = scratch();
    mkdirSync(join(dir, 'web'));
    writeFileSync(join(dir, 'web', 'kept.log'), 'original');
    symlinkSync(join(elsewhere, 'target.log'), join(dir, 'web', 'dangling.log'));
    const root = await openOutputRoot(dir);
    await expect(placeFile(root, ['web', 'kept.log'], await verifiedTemp(root))).rejects.toThrow(
      /already exists/,
    );
    await expect(placeFile(root, ['web', 'dangling.log'], await verifiedTemp(root))).rejects.toThrow(
      /already exists/,
    );
    expect(readFileSync(join(dir, 'web', 'kept.log'), 'utf8')).toBe('original');
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('refuses a file where a directory is needed', async () => {
    const dir = scratch();
    writeFileSync(join(dir, 'web'), 'a file');
    const root = await openOutputRoot(dir);
    await expect(placeFile(root, ['web', 'x.log'], await verifiedTemp(root))).rejects.toThrow(
      /not a directory/,
    );
  });

  it('fails at once, naming the path, where no directory can be made', async () => {
    await expect(openOutputRoot('/proc/logvault-restore/out')).rejects.toThrow(
      /refused to write \/proc\/logvault-restore: cannot create the directory/,
    );
    const file = join(scratch(), 'file');
    writeFileSync(file, '');
    await expect(openOutputRoot(join(file, 'out'))).rejects.toThrow(/not a directory/);
  });
});
