import type { Duplex } from 'node:stream';
import {
  AlgorithmSuiteIdentifier,
  buildClient,
  CommitmentPolicy,
  type EncryptionContext,
  KmsKeyringNode,
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

/** Encrypting transform: plaintext in, Encryption SDK message out. */
export function encryptingStream(keyring: KmsKeyringNode, encryptionContext: EncryptionContext): Duplex {
  return client.encryptStream(keyring, {
    suiteId: ARCHIVE_SUITE,
    encryptionContext,
    frameLength: FRAME_LENGTH,
  });
}

/**
 * Decrypting transform that refuses signed messages, so plaintext is released frame by frame
 * only after each frame's tag has been checked. Emits `MessageHeader` with the encryption context.
 */
export function decryptingStream(keyring: KmsKeyringNode): Duplex {
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
