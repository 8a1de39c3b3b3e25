import { createHash, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CodecChoice, decompressor } from '#shared/archive/codec.ts';
import { decryptingStream } from '#shared/archive/envelope.ts';
import { ciphertextVerifier, seal } from '#shared/archive/seal.ts';
import { IntegrityError } from '#shared/errors.ts';

const keyring = new RawAesKeyringNode({
  keyName: 'seal-test',
  keyNamespace: 'logvault-test',
  unencryptedMasterKey: new Uint8Array(randomBytes(32)),
  wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
});
const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Log-like text with random ids, so it compresses about as real logs do. */
function logText(bytes: number): Buffer {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `2026-11-24T12:00:${String(i % 60).padStart(2, '0')}Z INFO request ${randomBytes(8).toString('hex')} GET /api/orders/${i % 977} 200 ${i % 313}ms\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

function pieces(data: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0, i = 0; off < data.length; i++) {
    const n = sizes[i % sizes.length] as number;
    out.push(Buffer.from(data.subarray(off, off + n)));
    off += n;
  }
  return out;
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function sealAll(
  chunks: Buffer[],
  codec: CodecChoice,
  opts: { expect?: string; verify?: boolean } = {},
) {
  const whole = Buffer.concat(chunks);
  const sealed = seal(Readable.from(chunks), {
    codec,
    keyring,
    context: { test: 'seal' },
    expectSha256: opts.expect ?? sha256(whole),
    label: 'test-archive',
    verify: opts.verify ?? true,
  });
  const ciphertext = await collect(sealed.ciphertext);
  return { ciphertext, counts: await sealed.done };
}

async function open(ciphertext: Buffer, codec: CodecChoice): Promise<Buffer> {
  const parts: Buffer[] = [];
  await pipeline(
    Readable.from([ciphertext]),
    decryptingStream(keyring),
    decompressor(codec.codec),
    new Writable({
      write(c: Buffer, _e, done) {
        parts.push(c);
        done();
      },
    }),
  );
  return Buffer.concat(parts);
}

describe('seal', () => {
  const data = logText(3 * MiB + 12_345);
  const codecs: CodecChoice[] = [
    { codec: 'zstd', level: 3 },
    { codec: 'gzip', level: 6 },
    { codec: 'identity', detected: 'gzip' },
  ];
  const chunkings: [string, number[]][] = [
    ['16 KiB (an S3 body over TLS)', [16 * 1024]],
    ['1 MiB', [MiB]],
    ['mixed, straddling the 1 MiB staging buffers', [700_000, 3, 2 * MiB + 1, 65_536, 1]],
    ['one piece', [data.length]],
  ];
  for (const codec of codecs) {
    for (const [name, sizes] of chunkings) {
      it(`round-trips ${codec.codec} in ${name} chunks, counting both sides`, async () => {
        const { ciphertext, counts } = await sealAll(pieces(data, sizes), codec);
        expect(counts).toEqual({ plaintextBytes: data.length, ciphertextBytes: ciphertext.length });
        expect((await open(ciphertext, codec)).equals(data)).toBe(true);
      });
    }
  }

  it('round-trips any split of the input (property)', async () => {
    const small = logText(2 * MiB + 999);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 1_500_000 }), { minLength: 1, maxLength: 6 }),
        async (sizes) => {
          const { ciphertext } = await sealAll(pieces(small, sizes), { codec: 'zstd', level: 3 });
          expect((await open(ciphertext, { codec: 'zstd' })).equals(small)).toBe(true);
        },
      ),
      { numRuns: 8 },
    );
  });

  it('handles empty input', async () => {
    const { ciphertext, counts } = await sealAll([], { codec: 'zstd', level: 3 });
    expect(counts.plaintextBytes).toBe(0);
    expect((await open(ciphertext, { codec: 'zstd' })).length).toBe(0);
  });

  it('fails the ciphertext stream when the source does not have the expected digest', async () => {
    for (const verify of [true, false]) {
      const error = await sealAll(
        pieces(data, [16 * 1024]),
        { codec: 'zstd', level: 3 },
        {
          expect: sha256(Buffer.from('something else')),
          verify,
        },
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(IntegrityError);
      expect(String(error)).toMatch(/SHA-256 mismatch \(source\)/);
    }
  });

  it('lets the consumer give up mid-stream without an uncaught error from the SDK', async () => {
    const sealed = seal(Readable.from(pieces(data, [16 * 1024])), {
      codec: { codec: 'zstd', level: 3 },
      keyring,
      context: {},
      expectSha256: sha256(data),
      label: 'test-archive',
      verify: true,
    });
    for await (const _ of sealed.ciphertext) {
      sealed.ciphertext.destroy();
      break;
    }
    await expect(sealed.done).rejects.toThrow();
    // An uncaught "Premature close" from the SDK's internal pipeline would surface here and fail the run.
    await new Promise((resolve) => setTimeout(resolve, 100));
  });
});

describe('the verifying tee', () => {
  const data = logText(2 * MiB + 77);
  const codec: CodecChoice = { codec: 'zstd', level: 3 };
  const verify = async (ciphertext: Buffer, expect = sha256(data)) => {
    const v = ciphertextVerifier({ codec, keyring, expectSha256: expect, label: 'test-archive' });
    v.input.end(ciphertext);
    await v.verified;
  };

  it('accepts the ciphertext seal produced', async () => {
    const { ciphertext } = await sealAll([data], codec, { verify: false });
    await verify(ciphertext);
  });

  it('rejects a flipped byte anywhere (header, frame body, final tag)', async () => {
    const { ciphertext } = await sealAll([data], codec, { verify: false });
    for (const at of [10, Math.floor(ciphertext.length / 2), ciphertext.length - 1]) {
      const bad = Buffer.from(ciphertext);
      bad[at] = (bad[at] as number) ^ 0x01;
      await expect(verify(bad)).rejects.toThrow();
    }
  });

  it('rejects truncated ciphertext', async () => {
    const { ciphertext } = await sealAll([data], codec, { verify: false });
    await expect(verify(ciphertext.subarray(0, ciphertext.length - 100))).rejects.toThrow();
  });

  it('rejects ciphertext that decodes to other bytes than the expected digest', async () => {
    const { ciphertext } = await sealAll([data], codec, { verify: false });
    await expect(verify(ciphertext, sha256(Buffer.from('another log')))).rejects.toThrow(IntegrityError);
  });
});
