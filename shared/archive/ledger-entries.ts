import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { mapLimit } from '../map-limit.ts';
import type { MemberDescription, PackMember } from './pack-format.ts';

/**
 * Pack entries: the member ledger's long-lived pointers into packs (docs/archive-format.md,
 * "Member ledger"). One entry per source and ingest object stored in a pack, not one per member:
 * a shipper batch of five logs is one entry. An entry names only its pack and when; the members
 * themselves are read from the pack's index, which is the record that matters in any case (it is
 * authenticated with the pack). This module alone builds and parses entries.
 *
 * An entry is written once its pack is verified, so it never points at a pack still being
 * written. Its TTL is the pack's expiry plus {@link ENTRY_TTL_GRACE_DAYS}: DynamoDB removes it for
 * free once the sweeper has deleted the pack. A held pack outlives its expiry, so the sweeper
 * clears its entries' TTL ({@link keepEntries}) when it finds the hold, long before the TTL.
 */
export interface EntryDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly table: string;
}

export const ENTRY_PREFIX = 'entry#';
/** Entries outlive their pack's expiry by this long: the sweeper finds a hold well within it. */
export const ENTRY_TTL_GRACE_DAYS = 30;
const DAY_SECONDS = 86_400;
const CONCURRENCY = 16;
const HASH = /^[0-9a-f]{32}$/;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const entryItemSchema = z.strictObject({
  id: z.string().regex(/^entry#[0-9a-f]{32}$/),
  source: z.string().min(1),
  /** `<ISO time>#<hash>`: the members' time (one per group), sorted like member items. */
  sk: z.string().min(1),
  /** The pack key. */
  archive: z.string().min(1),
  /** Epoch seconds; absent while the pack is held or never expires. */
  ttl: count.optional(),
});
export type EntryItem = z.infer<typeof entryItemSchema>;

export function isEntryId(id: unknown): boolean {
  return typeof id === 'string' && id.startsWith(ENTRY_PREFIX);
}

/** The sort key of the `bySource` index: the member's time (ISO, UTC, milliseconds), then an id. */
export function sortKey(time: string, id: string): string {
  return `${new Date(time).toISOString()}#${id}`;
}

/**
 * The group a member is recorded under: its source, the ingest object it came in (an object by its
 * version, a shipper batch by its id) and its time. Members of one group share an entry.
 */
function groupHash(archive: string, m: MemberDescription): string {
  const origin = m.kind === 'object' ? `object\0${m.bucket}\0${m.key}\0${m.revision}` : `batch\0${m.batch}`;
  const time = new Date(m.time).toISOString();
  return createHash('sha256')
    .update(`${archive}\0${m.source}\0${origin}\0${time}`)
    .digest('hex')
    .slice(0, 32);
}

const ttlOf = (expires: Date | null) =>
  expires ? Math.ceil(expires.getTime() / 1000) + ENTRY_TTL_GRACE_DAYS * DAY_SECONDS : undefined;

/** The entries that record `members` as stored in the pack `archive`: one per group. */
export function entriesFor(
  archive: string,
  members: readonly MemberDescription[],
  expires: Date | null,
): EntryItem[] {
  const ttl = ttlOf(expires);
  const out = new Map<string, EntryItem>();
  for (const m of members) {
    const hash = groupHash(archive, m);
    if (out.has(hash)) continue;
    out.set(
      hash,
      entryItemSchema.parse({
        id: `${ENTRY_PREFIX}${hash}`,
        source: m.source,
        sk: sortKey(m.time, hash),
        archive,
        ...(ttl === undefined ? {} : { ttl }),
      }),
    );
  }
  return [...out.values()];
}

export function parseEntryItem(raw: unknown): EntryItem {
  return entryItemSchema.parse(raw);
}

/** When the members an entry records were shipped (ISO, UTC): the time its sort key starts with. */
export function entryTime(entry: EntryItem): string {
  return entry.sk.slice(0, entry.sk.indexOf('#'));
}

/**
 * Whether an entry's pack has passed its expiry (its TTL less the grace): the sweeper may have
 * deleted it, so its absence is expected. A held pack's entry has no TTL and never passes.
 */
export function packExpired(entry: EntryItem, now: Date): boolean {
  return entry.ttl !== undefined && entry.ttl - ENTRY_TTL_GRACE_DAYS * DAY_SECONDS <= now.getTime() / 1000;
}

/** The members of a pack's index that an entry records, in the index's order. */
export function membersOfEntry(entry: EntryItem, members: readonly PackMember[]): PackMember[] {
  const hash = entry.id.slice(ENTRY_PREFIX.length);
  if (!HASH.test(hash)) return [];
  return members.filter((m) => m.source === entry.source && groupHash(entry.archive, m) === hash);
}

/** The ids of the entries that record a pack's members (as {@link entriesFor} made them). */
export function entryIdsOf(archive: string, members: readonly MemberDescription[]): string[] {
  return entriesFor(archive, members, null).map((e) => e.id);
}

/** Writes entries; an entry's id is its content's, so writing one twice changes nothing. */
export async function recordEntries(deps: EntryDeps, entries: readonly EntryItem[]): Promise<void> {
  await mapLimit(entries, CONCURRENCY, (Item) =>
    deps.ddb.send(new PutCommand({ TableName: deps.table, Item })),
  );
}

const isConflict = (error: unknown) => error instanceof ConditionalCheckFailedException;

/** Clears the TTL of a held pack's entries, so they stay as long as the hold keeps the pack. */
export async function keepEntries(deps: EntryDeps, ids: readonly string[]): Promise<void> {
  await mapLimit(ids, CONCURRENCY, async (id) => {
    try {
      await deps.ddb.send(
        new UpdateCommand({
          TableName: deps.table,
          Key: { id },
          UpdateExpression: 'REMOVE #ttl',
          ConditionExpression: 'attribute_exists(#ttl)',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
        }),
      );
    } catch (error) {
      // Already kept, or never written: nothing to do.
      if (!isConflict(error)) throw error;
    }
  });
}
