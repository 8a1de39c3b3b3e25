import { PassThrough, type Readable, Transform, type TransformCallback, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { EncryptionContext, KmsKeyringNode } from '@aws-crypto/client-node';
import { type CodecChoice, compressor, decompressor } from './codec.ts';
import { DigestingStream } from './digest.ts';
import { decryptingStream, encryptingStream } from './envelope.ts';

export interface SealOptions {
  readonly codec: CodecChoice;
  readonly keyring: KmsKeyringNode;
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

/**
 * Forwards ciphertext downstream while feeding a copy through decrypt → decompress → SHA-256.
 * The stream only ends cleanly once that copy has decoded to the expected digest, so an upload
 * fed from here never completes with bytes that would not restore.
 */
class VerifyingTee extends Transform {
  readonly #input = new PassThrough({ highWaterMark: 4 * 1024 * 1024 });
  readonly #verified: Promise<void>;
  bytes = 0;

  constructor(opts: SealOptions) {
    super();
    const digest = new DigestingStream({ sha256: opts.expectSha256, label: opts.label });
    const discard = new Writable({ write: (_c, _e, done) => done() });
    this.#verified = pipeline(
      this.#input,
      decryptingStream(opts.keyring),
      decompressor(opts.codec.codec),
      digest,
      discard,
    );
    // Surface a verification failure immediately instead of only at flush.
    this.#verified.catch((error: Error) => this.destroy(error));
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.#input.write(chunk)) done(null, chunk);
    else this.#input.once('drain', () => done(null, chunk));
  }

  override _flush(done: TransformCallback): void {
    this.#input.end();
    this.#verified.then(
      () => done(),
      (error: Error) => done(error),
    );
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
  const plaintext = new DigestingStream({ sha256: opts.expectSha256, label: opts.label });
  const stages: (NodeJS.ReadWriteStream | Transform)[] = [
    plaintext,
    compressor(opts.codec),
    encryptingStream(opts.keyring, opts.context),
  ];
  const tee = opts.verify ? new VerifyingTee(opts) : undefined;
  if (tee) stages.push(tee);
  // Counting only: hashing the ciphertext here would cost a SHA-256 pass for nothing.
  let ciphertextBytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      ciphertextBytes += chunk.length;
      done(null, chunk);
    },
  });
  const ciphertext = new PassThrough({ highWaterMark: 1024 * 1024 });
  const done = pipeline([source, ...stages, counter, ciphertext] as unknown as [Readable, Writable]).then(
    () => ({
      plaintextBytes: plaintext.bytes,
      ciphertextBytes,
    }),
  );
  // The consumer sees failures through the ciphertext stream; keep this promise from going unhandled.
  done.catch(() => undefined);
  return { ciphertext, done };
}
