import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { constants, gzipSync, zstdCompressSync } from 'node:zlib';

/** Plausible log text: repetitive like real logs, with varying ids and numbers. */
export function logText(lines: number, seed = 1): string {
  let x = seed;
  const next = () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x;
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = next();
    out.push(
      `2026-11-24T10:${String(i % 60).padStart(2, '0')}:00Z host-${n % 7} app[${n % 997}]: GET /api/v1/items/${n % 10_000} 200 ${n % 5000}ms trace=${n.toString(16)}`,
    );
  }
  return `${out.join('\n')}\n`;
}

/**
 * The awkward inputs every release must archive and restore byte for byte:
 * relative path → content.
 */
export function awkwardLogs(): Record<string, Buffer> {
  const text = logText(2000);
  return {
    'plain.log': Buffer.from(text),
    'with space/and+plus%percent.log': Buffer.from(logText(50, 2)),
    'ünïcödé/日志/δοκιμή.log': Buffer.from(logText(30, 3)),
    'deep/a/b/c/d/e/f/g/h/i/j/k/deep.log': Buffer.from(logText(10, 4)),
    'empty.log': Buffer.alloc(0),
    'binary.bin': randomBytes(300_000),
    'rotated.log.1.gz': gzipSync(Buffer.from(logText(500, 5))),
    'already.zst': zstdCompressSync(Buffer.from(logText(500, 6)), {
      params: { [constants.ZSTD_c_compressionLevel]: 3 },
    }),
    'corrupt.gz': Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), randomBytes(5000)]),
    'big-enough-for-ia.log': Buffer.from(logText(40_000, 7)),
  };
}

export function writeTree(root: string, files: Record<string, Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}
