import { gzipSync, zstdCompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { chooseCodec, detectCompressed } from '#shared/archive/codec.ts';

describe('codec choice', () => {
  it('detects gzip and zstd by magic bytes, whatever the name', () => {
    expect(detectCompressed(gzipSync('x'))).toBe('gzip');
    expect(detectCompressed(zstdCompressSync(Buffer.from('x')))).toBe('zstd');
    expect(detectCompressed(Buffer.from('plain text'))).toBeUndefined();
    expect(detectCompressed(Buffer.alloc(0))).toBeUndefined();
  });

  it('stores already-compressed input as-is and compresses the rest as the policy asks', () => {
    expect(chooseCodec({ name: 'zstd', level: 3 }, gzipSync('x'))).toEqual({
      codec: 'identity',
      detected: 'gzip',
    });
    expect(chooseCodec({ name: 'gzip', level: 6 }, Buffer.from('log'))).toEqual({ codec: 'gzip', level: 6 });
  });
});
