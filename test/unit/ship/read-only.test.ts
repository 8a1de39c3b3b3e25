import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = resolve(import.meta.dirname, '../../../shared/ship');
// fs functions that create, change or remove files.
const WRITERS = new Set(
  'writeFile appendFile write unlink rm rename truncate ftruncate mkdir copyFile chmod chown utimes open'
    .split(' ')
    .flatMap((name) => [name, `${name}Sync`])
    .concat('createWriteStream'),
);

/** The names a module imports from node:fs or node:fs/promises that can change the file system. */
function fsWriters(source: string): string[] {
  const names: string[] = [];
  for (const m of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'node:fs(?:\/promises)?'/g)) {
    for (const name of (m[1] ?? '').split(',').map(
      (n) =>
        n
          .replace(/^type\s+/, '')
          .trim()
          .split(/\s+as\s+/)[0] ?? '',
    )) {
      if (name && WRITERS.has(name)) names.push(name);
    }
  }
  return names.sort();
}

describe('the shipper never modifies, moves or deletes a log', () => {
  it('only the state, the lock and the batch spool (all in the state directory) import fs functions that write', () => {
    const writers = Object.fromEntries(
      readdirSync(dir)
        .filter((f) => f.endsWith('.ts'))
        .map((f): [string, string[]] => [f, fsWriters(readFileSync(join(dir, f), 'utf8'))])
        .filter(([, names]) => names.length > 0),
    );
    expect(writers).toEqual({
      'lock.ts': ['openSync', 'unlinkSync', 'writeSync'],
      // Opens files to read them, never to write (O_RDONLY).
      'read-range.ts': ['open'],
      'run.ts': ['ftruncateSync', 'openSync', 'rmSync', 'writeSync'],
      'scan.ts': ['open'],
      'state.ts': ['mkdirSync', 'openSync', 'renameSync', 'writeSync'],
    });
  });

  it('opens logs read-only', () => {
    for (const file of ['scan.ts', 'read-range.ts']) {
      const source = readFileSync(join(dir, file), 'utf8');
      const opens = [...source.matchAll(/\bopen\(([^)]*)\)/g)].map((m) => m[1]);
      expect(opens.length, file).toBeGreaterThan(0);
      for (const args of opens) expect(args, file).toMatch(/O_RDONLY/);
    }
  });
});
