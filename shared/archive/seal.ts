import { createHash, type Hash } from 'node:crypto';
import { Duplex, PassThrough, type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EncryptionContext, KeyringNode } from '@aws-crypto/client-node';
import { IntegrityError } from '../errors.ts';
import { type CodecChoice, compressor, decompressor, IO_CHUNK } from './codec.ts';
import { decryptingStream, encryptingStream } from './envelope.ts';

export interface SealOptions {
  readonly codec: CodecChoice;
  readonly keyring: KeyringNode;
  readonly context: EncryptionContext;
  /** The plaintext digest the source must have; the stream fails at its end otherwise. */
  readonly expectSha256: string;
  /** Names the object in errors. */
  readonly label: string;
  /** Decode the ciphertext again as it is produced and check it gives back the plaintext digest. */
  readonly verify: boolean;
}

export interface SealResult {
  readonly plaintextBytes: number;
  readonly ciphertextBytes: number;
}

function checkDigest(hash: Hash, expect: string, label: string, what: string): IntegrityError | undefined {
  const hex = hash.digest('hex');
  return hex === expect
    ? undefined
    : new IntegrityError(label, `SHA-256 mismatch (${what}): expected ${expect}, got ${hex}`);
}

/**
 * The plaintext side: hashes what it is given and feeds the compressor in 1 MiB writes, whatever
 * size the source's chunks are (an S3 body over TLS arrives in 16 KiB pieces; each zlib write is a
 * round trip through the libuv thread pool, which made 16 KiB chunks cost ~1.7× the CPU of 1 MiB
 * ones). Small chunks are copied into staging buffers that are reused once the compressor has
 * consumed them (zstd and deflate copy their input into their own window), so regrouping allocates
 * nothing per chunk. Chunks of 1 MiB or more go to the compressor as they are.
 *
 * The readable side is the compressor's output. At the end of the input the digest is checked
 * before the compressor is ended, so a wrong digest never produces a complete compressed stream.
 */
class PlaintextIntake extends Duplex {
  readonly #z: Transform;
  readonly #hash = createHash('sha256');
  readonly #expect: string;
  readonly #label: string;
  /** Whether the compressor is done with a buffer once its write callback has run (not for identity). */
  readonly #reuse: boolean;
  readonly #spare: Buffer[] = [];
  #staging: Buffer | undefined;
  #fill = 0;
  bytes = 0;

  constructor(opts: SealOptions) {
    super({ readableHighWaterMark: IO_CHUNK, writableHighWaterMark: IO_CHUNK });
    this.#expect = opts.expectSha256;
    this.#label = opts.label;
    this.#reuse = opts.codec.codec !== 'identity';
    const z = compressor(opts.codec);
    this.#z = z;
    z.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) z.pause();
    });
    z.once('end', () => this.push(null));
    z.once('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.#z.resume();
  }

  #stage(chunk: Buffer, out: Buffer[]): Buffer {
    this.#staging ??= this.#spare.pop() ?? Buffer.allocUnsafeSlow(IO_CHUNK);
    const n = chunk.copy(this.#staging, this.#fill);
    this.#fill += n;
    if (this.#fill === IO_CHUNK) {
      out.push(this.#staging);
      this.#staging = undefined;
      this.#fill = 0;
    }
    return chunk.subarray(n);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    const staged: Buffer[] = [];
    let rest = chunk;
    if (this.#fill > 0 || rest.length < IO_CHUNK) rest = this.#stage(rest, staged);
    let direct: Buffer | undefined;
    if (rest.length >= IO_CHUNK) direct = rest;
    else if (rest.length > 0) this.#stage(rest, staged);
    let ok = true;
    for (const buf of staged) {
      ok = this.#z.write(buf, this.#reuse ? () => this.#release(buf) : undefined) && ok;
    }
    if (direct) ok = this.#z.write(direct) && ok;
    if (ok) done();
    else this.#z.once('drain', () => done());
  }

  #release(buf: Buffer): void {
    if (this.#spare.length < 2) this.#spare.push(buf);
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.#fill > 0) {
      this.#z.write((this.#staging as Buffer).subarray(0, this.#fill));
      this.#staging = undefined;
      this.#fill = 0;
    }
    const mismatch = checkDigest(this.#hash, this.#expect, this.#label, 'source');
    if (mismatch) {
      done(mismatch);
      return;
    }
    this.#z.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#z.destroy();
    done(error);
  }
}

/**
 * Decodes the ciphertext exactly as produced (decrypt → decompress → SHA-256) and resolves only
 * if it gives back the expected digest. Exported for tests that feed it damaged ciphertext.
 */
export function ciphertextVerifier(opts: Pick<SealOptions, 'codec' | 'keyring' | 'expectSha256' | 'label'>): {
  input: Writable;
  verified: Promise<void>;
} {
  const input = new PassThrough({ highWaterMark: 2 * IO_CHUNK });
  const hash = createHash('sha256');
  const digest = new Writable({
    highWaterMark: IO_CHUNK,
    write(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done();
    },
    final(done) {
      done(checkDigest(hash, opts.expectSha256, opts.label, 'decoded archive'));
    },
  });
  const verified = pipeline(input, decryptingStream(opts.keyring), decompressor(opts.codec.codec), digest);
  return { input, verified };
}

/**
 * The ciphertext side: counts the bytes and, with `verify`, hands each chunk to the verifier before
 * passing it on. It only ends cleanly once the verifier has decoded everything to the expected
 * digest, so an upload fed from here never completes with bytes that would not restore.
 */
class CiphertextOutput extends Transform {
  readonly #verifier: ReturnType<typeof ciphertextVerifier> | undefined;
  bytes = 0;

  constructor(opts: SealOptions) {
    super({ readableHighWaterMark: IO_CHUNK, writableHighWaterMark: IO_CHUNK });
    if (opts.verify) {
      const verifier = ciphertextVerifier(opts);
      this.#verifier = verifier;
      // Surface a verification failure immediately instead of only at flush.
      verifier.verified.catch((error: Error) => this.destroy(error));
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    const input = this.#verifier?.input;
    if (!input || input.write(chunk)) done(null, chunk);
    else input.once('drain', () => done(null, chunk));
  }

  override _flush(done: TransformCallback): void {
    if (!this.#verifier) {
      done();
      return;
    }
    this.#verifier.input.end();
    this.#verifier.verified.then(
      () => done(),
      (error: Error) => done(error),
    );
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    this.#verifier?.input.destroy();
    done(error);
  }
}

/**
 * The archive transform: plaintext → SHA-256 check → compression → Encryption SDK envelope
 * (→ optional verifying tee). Returns the ciphertext stream and a promise of the counts.
 */
export function seal(
  source: Readable,
  opts: SealOptions,
): { ciphertext: Readable; done: Promise<SealResult> } {
  const intake = new PlaintextIntake(opts);
  const ciphertext = new CiphertextOutput(opts);
  const done = pipeline(source, intake, encryptingStream(opts.keyring, opts.context), ciphertext).then(
    () => ({
      plaintextBytes: intake.bytes,
      ciphertextBytes: ciphertext.bytes,
    }),
  );
  // The consumer sees failures through the ciphertext stream; keep this promise from going unhandled.
  done.catch(() => undefined);
  return { ciphertext, done };
}
