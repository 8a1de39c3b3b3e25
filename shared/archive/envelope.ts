import { Duplex } from 'node:stream';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  type EncryptionContext,
  getLocalCryptographicMaterialsCache,
  type KeyringNode,
  KmsKeyringNode,
  NodeCachingMaterialsManager,
  type NodeMaterialsManager,
} from '@aws-crypto/client-node';
import type { KMS } from '@aws-sdk/client-kms';

/**
 * Committing AES-256-GCM with HKDF-SHA512 and no ECDSA signature: key commitment stops a
 * ciphertext from decrypting to two different plaintexts, and skipping the signature keeps
 * decryption streamable frame by frame (signed messages can only be trusted at their very end).
 */
export const ARCHIVE_SUITE = AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY;

/** 1 MiB frames: few enough GCM calls to stay near AES speed, small enough to bound decrypt memory. */
export const FRAME_LENGTH = 1024 * 1024;

const client = buildClient({
  commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
  maxEncryptedDataKeys: 1,
});

/** A keyring on one KMS key, talking through the given client (so tests can point it at the emulator). */
export function archiveKeyring(keyArn: string, kms: KMS): KmsKeyringNode {
  return new KmsKeyringNode({ generatorKeyId: keyArn, clientProvider: () => kms as never });
}

/**
 * Encrypting transform: plaintext in, Encryption SDK message out.
 *
 * The SDK joins its framing and signature streams with readable-stream's `pipeline()` and no
 * callback, which rethrows: destroying its stream before the end (what `pipeline()` does to every
 * stage when another fails, e.g. a digest mismatch or a failed upload) would throw "Premature
 * close" as an uncaught exception and take the process down. This wrapper never destroys it: on
 * teardown it ends it and discards the rest of its output, which lets it finish on its own.
 */
export function encryptingStream(keyring: KeyringNode, encryptionContext: EncryptionContext): Duplex {
  return new EndInsteadOfDestroy(
    client.encryptStream(keyring, {
      suiteId: ARCHIVE_SUITE,
      encryptionContext,
      frameLength: FRAME_LENGTH,
    }),
  );
}

class EndInsteadOfDestroy extends Duplex {
  readonly #inner: Duplex;

  constructor(inner: Duplex) {
    super({ readableHighWaterMark: FRAME_LENGTH, writableHighWaterMark: FRAME_LENGTH });
    this.#inner = inner;
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.once('end', () => this.push(null));
    inner.on('error', (error: Error) => this.destroy(error));
  }

  override _read(): void {
    this.#inner.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    if (this.#inner.write(chunk)) done();
    else this.#inner.once('drain', () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#inner.end();
    done();
  }

  override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
    const inner = this.#inner;
    if (!inner.readableEnded && !inner.destroyed) {
      inner.removeAllListeners('data');
      inner.on('error', () => undefined);
      inner.resume();
      if (!inner.writableEnded) inner.end();
    }
    done(error);
  }
}

/**
 * Decrypting transform that refuses signed messages, so plaintext is released frame by frame
 * only after each frame's tag has been checked. Emits `MessageHeader` with the encryption context.
 */
export function decryptingStream(keyring: KeyringNode): Duplex {
  return client.decryptUnsignedMessageStream(keyring);
}

/** Waits for the header of a decrypting stream and returns its (authenticated) encryption context. */
export function encryptionContextOf(decrypting: Duplex): Promise<EncryptionContext> {
  return new Promise((resolve, reject) => {
    decrypting.once('MessageHeader', (header: { encryptionContext: EncryptionContext }) =>
      resolve(header.encryptionContext),
    );
    decrypting.once('error', reject);
  });
}

/** The longest a pack's data key may serve: a pack is written (and verified) within one invocation. */
export const PACK_KEY_MAX_AGE_MS = 15 * 60 * 1000;

/**
 * Materials for one pack: a caching CMM over the keyring, with a cache of its own that holds the
 * pack's single data key for exactly the messages and bytes the pack encrypts, and no longer than
 * one invocation. Every group of a pack has the same encryption context, so the first group's
 * GenerateDataKey serves them all, and the first verifying Decrypt serves every group after it.
 * Nothing outlives the pack: the next pack gets a cache (and a data key) of its own.
 */
export function packMaterials(
  keyring: KeyringNode,
  limits: { readonly messages: number; readonly bytes: number },
): NodeMaterialsManager {
  return new NodeCachingMaterialsManager({
    backingMaterials: keyring,
    cache: getLocalCryptographicMaterialsCache(2),
    partition: 'logvault-pack',
    maxAge: PACK_KEY_MAX_AGE_MS,
    maxMessagesEncrypted: Math.max(1, limits.messages),
    maxBytesEncrypted: Math.max(1, limits.bytes),
  });
}

/**
 * Encrypts one whole buffer as one message. The SDK passes the buffer's length on as
 * `plaintextLength`, which a caching CMM needs before it will cache.
 */
export async function encryptBuffer(
  materials: KeyringNode | NodeMaterialsManager,
  plaintext: Buffer,
  encryptionContext: EncryptionContext,
): Promise<Buffer> {
  const { result } = await client.encrypt(materials, plaintext, {
    suiteId: ARCHIVE_SUITE,
    encryptionContext,
    frameLength: FRAME_LENGTH,
  });
  return result;
}

/** Decrypts one whole message held in memory, refusing signed ones; answers its authenticated context. */
export async function decryptBuffer(
  materials: KeyringNode | NodeMaterialsManager,
  ciphertext: Buffer,
): Promise<{ plaintext: Buffer; context: EncryptionContext }> {
  const { plaintext, messageHeader } = await client.decrypt(materials, ciphertext);
  if (messageHeader.suiteId !== ARCHIVE_SUITE)
    throw new Error('message is not sealed with the archive suite');
  return { plaintext, context: messageHeader.encryptionContext };
}
