import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { IntegrityError } from '../errors.ts';

/**
 * A pass-through that hashes and counts what flows through it. With `expect`, it fails the stream
 * at its end when the digest differs, so a consumer never sees a clean end on bad data.
 */
export class DigestingStream extends Transform {
  readonly #hash: Hash = createHash('sha256');
  #hex: string | undefined;
  bytes = 0;

  constructor(private readonly expect?: { sha256: string; label: string }) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.#hex = this.#hash.digest('hex');
    if (this.expect && this.expect.sha256 !== this.#hex) {
      done(
        new IntegrityError(
          this.expect.label,
          `SHA-256 mismatch: expected ${this.expect.sha256}, got ${this.#hex}`,
        ),
      );
      return;
    }
    done();
  }

  /** Hex SHA-256 of everything that passed; only after the stream has finished. */
  get sha256(): string {
    if (this.#hex === undefined) throw new Error('digest read before the stream finished');
    return this.#hex;
  }
}

/** Hashes a stream to the end without keeping it. */
export async function sha256Of(
  source: AsyncIterable<Uint8Array>,
): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: hash.digest('hex'), bytes };
}
