import type { Policy } from '../policy/index.ts';
import { type CodecChoice, chooseCodec } from './codec.ts';
import { GROUP_PLAINTEXT_BYTES, type MemberDescription, type PackMember } from './pack-format.ts';

/** One member to pack: what it is, and its bytes (none for a gap). */
export interface PackInput {
  readonly description: MemberDescription;
  readonly bytes: Buffer;
}

/** One group to seal: its codec and the members' bytes, concatenated in this order. */
export interface GroupLayout {
  readonly codec: CodecChoice;
  readonly parts: readonly Buffer[];
  readonly plaintextBytes: number;
}

export interface PackLayout {
  /** Each member with its place: the members line of the index, in this order. */
  readonly members: readonly PackMember[];
  readonly groups: readonly GroupLayout[];
}

const sameCodec = (a: CodecChoice, b: CodecChoice) => a.codec === b.codec && a.level === b.level;

/**
 * Where each member goes in a pack. Members the policy's codec compresses are grouped apart from
 * members already gzip or zstd (stored as they are, codec `identity`), each group holding at most
 * {@link GROUP_PLAINTEXT_BYTES} of member bytes; a larger member gets a group of its own. Gaps
 * have no bytes and no group (-1). A pack always has at least one group, even an empty one: the
 * groups' authenticated context is what proves the members line.
 */
export function layoutPack(inputs: readonly PackInput[], codec: Policy['codec']): PackLayout {
  const withCodec = inputs.map((input) => ({ input, codec: chooseCodec(codec, input.bytes) }));
  // Compressible members first, then those stored as they are; the input order within each.
  const ordered = [
    ...withCodec.filter((m) => m.codec.codec !== 'identity'),
    ...withCodec.filter((m) => m.codec.codec === 'identity'),
  ];
  const groups: { codec: CodecChoice; parts: Buffer[]; plaintextBytes: number }[] = [];
  const members: PackMember[] = [];
  for (const { input, codec: choice } of ordered) {
    if (input.description.kind === 'gap') {
      members.push({ ...input.description, group: -1, offset: 0, length: 0 });
      continue;
    }
    let group = groups.at(-1);
    const fits =
      group &&
      sameCodec(group.codec, choice) &&
      group.plaintextBytes + input.bytes.length <= GROUP_PLAINTEXT_BYTES;
    if (!group || !fits) {
      group = { codec: choice, parts: [], plaintextBytes: 0 };
      groups.push(group);
    }
    members.push({
      ...input.description,
      group: groups.length - 1,
      offset: group.plaintextBytes,
      length: input.bytes.length,
    });
    group.parts.push(input.bytes);
    group.plaintextBytes += input.bytes.length;
  }
  if (groups.length === 0)
    groups.push({ codec: chooseCodec(codec, Buffer.alloc(0)), parts: [], plaintextBytes: 0 });
  return { members, groups };
}
