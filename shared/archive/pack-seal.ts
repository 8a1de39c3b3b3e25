import { createHash } from 'node:crypto';
import type { KeyringNode, NodeMaterialsManager } from '@aws-crypto/client-node';
import { IntegrityError } from '../errors.ts';
import { compressBuffer, decompressBuffer } from './codec.ts';
import { decryptBuffer, encryptBuffer, packMaterials } from './envelope.ts';
import {
  checkPackContext,
  encodeIndex,
  encodeMembers,
  encodeTrailer,
  GROUP_PLAINTEXT_BYTES,
  type PackGroup,
  type PackHeader,
  type PackMember,
  packContext,
} from './pack-format.ts';
import type { PackLayout } from './pack-layout.ts';

export interface SealedPack {
  /** The whole object: groups, index region, trailer. */
  readonly body: Buffer;
  readonly header: PackHeader;
  readonly members: readonly PackMember[];
  readonly membersDigest: string;
  readonly indexOffset: number;
  readonly indexLength: number;
  /** Member bytes in: the sum of the groups' plaintext. */
  readonly plaintextBytes: number;
  /** The pack's materials: the verifying pass decrypts through them (one Decrypt for the pack). */
  readonly materials: NodeMaterialsManager;
}

export interface PackIdentity {
  readonly packId: string;
  readonly policy: string;
  readonly archivedAt: Date;
  readonly expires: Date | null;
}

/**
 * Seals a laid-out pack in memory: each group compressed as one frame, then encrypted as one
 * Encryption SDK message with the pack's context, all under one data key (see packMaterials);
 * then the index region and the trailer. Nothing is written anywhere.
 */
export async function sealPack(
  layout: PackLayout,
  id: PackIdentity,
  keyring: KeyringNode,
): Promise<SealedPack> {
  const { line, digest } = encodeMembers(layout.members);
  const context = packContext(id.packId, digest);
  const compressed: Buffer[] = [];
  for (const g of layout.groups) compressed.push(await compressBuffer(g.codec, Buffer.concat(g.parts)));
  const materials = packMaterials(keyring, {
    messages: compressed.length,
    bytes: compressed.reduce((n, c) => n + c.length, 0),
  });
  const sealed: Buffer[] = [];
  for (const c of compressed) sealed.push(await encryptBuffer(materials, c, context));
  let offset = 0;
  const groups: PackGroup[] = layout.groups.map((g, i) => {
    const length = (sealed[i] as Buffer).length;
    const entry = { offset, length, codec: g.codec.codec, plaintextBytes: g.plaintextBytes };
    offset += length;
    return entry;
  });
  const header: PackHeader = {
    format: 'logvault-pack',
    version: 1,
    pack: id.packId,
    policy: id.policy,
    archivedAt: id.archivedAt.toISOString(),
    expires: id.expires ? id.expires.toISOString() : 'never',
    groups,
    ledger: 'entries',
  };
  const index = encodeIndex(header, line);
  const body = Buffer.concat([...sealed, index, encodeTrailer(offset, index.length)]);
  return {
    body,
    header,
    members: layout.members,
    membersDigest: digest,
    indexOffset: offset,
    indexLength: index.length,
    plaintextBytes: layout.groups.reduce((n, g) => n + g.plaintextBytes, 0),
    materials,
  };
}

/**
 * Opens one group of a pack: decrypts it (refusing a context that is not this pack's and this
 * members line's), decompresses it, and checks its length. Shared by the verifying pass and by
 * readers of a single member.
 */
export async function openGroup(
  label: string,
  materials: KeyringNode | NodeMaterialsManager,
  sealed: Buffer,
  group: PackGroup,
  expect: { packId: string; membersDigest: string },
): Promise<Buffer> {
  let opened: Awaited<ReturnType<typeof decryptBuffer>>;
  try {
    opened = await decryptBuffer(materials, sealed);
  } catch (error) {
    throw new IntegrityError(label, `a group does not decrypt: ${(error as Error).message}`, {
      cause: error,
    });
  }
  checkPackContext(label, opened.context, expect);
  const limit = Math.max(group.plaintextBytes, GROUP_PLAINTEXT_BYTES);
  let plaintext: Buffer;
  try {
    plaintext = await decompressBuffer(group.codec, opened.plaintext, limit);
  } catch (error) {
    throw new IntegrityError(label, `a group does not decompress: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (plaintext.length !== group.plaintextBytes)
    throw new IntegrityError(
      label,
      `a group holds ${plaintext.length} bytes, its index says ${group.plaintextBytes}`,
    );
  return plaintext;
}

/** Checks one member's slice of its group's plaintext against the member's SHA-256. */
export function memberBytes(label: string, groupPlaintext: Buffer, member: PackMember): Buffer {
  const bytes = groupPlaintext.subarray(member.offset, member.offset + member.length);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== member.length || member.length !== member.size || digest !== member.sha256)
    throw new IntegrityError(label, `member ${member.id} fails its SHA-256`);
  return bytes;
}

/**
 * The verifying pass: decodes every group of the sealed pack exactly as a reader would, through
 * the pack's own materials (so the whole pass costs one KMS Decrypt), and checks every member's
 * bytes against its SHA-256. A pack is only ever uploaded after this passed.
 */
export async function verifyPack(label: string, pack: SealedPack): Promise<void> {
  const expect = { packId: pack.header.pack, membersDigest: pack.membersDigest };
  const byGroup = new Map<number, PackMember[]>();
  for (const m of pack.members) byGroup.set(m.group, [...(byGroup.get(m.group) ?? []), m]);
  for (const [i, group] of pack.header.groups.entries()) {
    const sealed = pack.body.subarray(group.offset, group.offset + group.length);
    const plaintext = await openGroup(label, pack.materials, sealed, group, expect);
    for (const m of byGroup.get(i) ?? []) memberBytes(label, plaintext, m);
  }
  for (const m of byGroup.get(-1) ?? [])
    if (m.kind !== 'gap') throw new IntegrityError(label, `member ${m.id} has no group`);
}
