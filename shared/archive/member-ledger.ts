import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { NoSuchArchiveError } from '../errors.ts';
import {
  type EntryItem,
  entryItemSchema,
  entryTime,
  isEntryId,
  membersOfEntry,
  packExpired,
  sortKey,
} from './ledger-entries.ts';
import { type MemberDescription, memberDescription, memberKindFields } from './pack-format.ts';
import { type PackIndex, readPackIndex } from './pack-reader.ts';

/**
 * The member ledger (docs/archive-format.md, "Member ledger"): which archive holds each member,
 * and the claims and attempts that store each member once. Its items:
 * - claims: one per packed member, `{ id, attempt, archive, ttl }`, kept {@link CLAIM_TTL_DAYS}
 *   (past SQS's 14-day retention, so every redelivery still finds its claim), then removed by
 *   DynamoDB's TTL for free;
 * - member items: one per segment of a whole batch archived as one v1 archive (and per member of
 *   a pack written before entries), with the member's description; kept as long as its archive;
 * - pack entries (ledger-entries.ts): one per source and ingest object stored in a pack;
 * - attempt items: one per archive being written.
 * This module alone builds and parses claims, member items and attempts.
 *
 * Read API (stable; every function takes {@link LedgerDeps}):
 * - `membersOfSource(deps, source, { from?, to? })`: async generator of {@link MemberItem}s of one
 *   source, oldest `time` first, optionally only those with `from <= time <= to` (GSI `bySource`).
 *   A pack entry is read as the members its pack's index lists for it, which needs `deps.packs`.
 * - `allMembers(deps)`: async generator of every {@link MemberItem} (a table scan; no order).
 * - `getMember(deps, id)`: who holds a member (its claim, or its member item), or undefined.
 * - `getAttempt(deps, attemptId)`: the attempt a member's claim names, or undefined once expired.
 * A member item names the archive its claim was written to (`archive`: a pack key, or the v1 key
 * of a whole batch object, whose segments also carry `offset`/`length` in the decoded batch body).
 * The item is a pointer, not a proof: only the archive's authenticated index (or context) and the
 * member's SHA-256 confirm it, and an item whose attempt failed may point at no archive at all
 * until a retry takes it over. Members read through an entry carry no attempt: an entry is
 * written only once its pack is verified. Malformed items fail with {@link MalformedLedgerItemError}.
 *
 * Write API (archive function and sweeper): `memberItem()`, `claimOf()`, `startAttempt()`,
 * `renewLease()`, `endAttempt()`, `claimMember()`, `takeOverMember()`, `conflictDecision()`,
 * `forgetMember()`.
 */
export interface LedgerDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly table: string;
  /** Where packs are read from, to read an entry's members from its pack's index. */
  readonly packs?: { readonly s3: S3Client; readonly bucket: string };
}

export { sortKey };

/** The GSI that lists one source's members by time: partition `source`, sort `sk`. */
export const BY_SOURCE_INDEX = 'bySource';
const ATTEMPT_PREFIX = 'attempt#';
/** How long a claim is good for without renewal; a writer renews it every {@link LEASE_RENEW_MS}. */
export const LEASE_MS = 60_000;
export const LEASE_RENEW_MS = 20_000;
/**
 * A lease counts as lapsed only this long after its end: a writer stops its upload when its lease
 * ends, but a request already on the wire may still land a little later.
 */
export const LEASE_GRACE_MS = 15_000;
const DAY_SECONDS = 86_400;
/** How long a claim is kept: longer than SQS keeps a message (14 days), so redeliveries find it. */
export const CLAIM_TTL_DAYS = 15;

/** A ledger item that does not have the shape this module writes. */
export class MalformedLedgerItemError extends Error {
  override readonly name = 'MalformedLedgerItemError';
}

const ATTEMPT_ID = /^attempt#[0-9a-f-]{36}$/;
const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const ledgerFields = {
  sk: z.string().min(1),
  /** The pack key, or the v1 archive key of a whole batch object. */
  archive: z.string().min(1),
  /** Absent on a member read through a pack entry, which is written once the pack is verified. */
  attempt: z.string().regex(ATTEMPT_ID).optional(),
  policy: z.string().min(1),
};
/** A segment inside a v1 archive of its whole batch object: its bytes in the decoded batch body. */
const inBatchBody = { offset: count.optional(), length: count.optional() };

export const memberItemSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...memberDescription, ...memberKindFields.object, ...ledgerFields }),
  z.strictObject({ ...memberDescription, ...memberKindFields.segment, ...ledgerFields, ...inBatchBody }),
  z.strictObject({ ...memberDescription, ...memberKindFields.gap, ...ledgerFields }),
]);
export type MemberItem = z.infer<typeof memberItemSchema>;

/** A packed member's claim: which attempt stores it, in which pack; its description is in the pack. */
export const claimItemSchema = z.strictObject({
  id: memberDescription.id,
  attempt: z.string().regex(ATTEMPT_ID),
  archive: z.string().min(1),
  /** Epoch seconds: DynamoDB's TTL removes the claim {@link CLAIM_TTL_DAYS} after it was made. */
  ttl: count,
});
export type ClaimItem = z.infer<typeof claimItemSchema>;

/** Who holds a member: the attempt that claimed it and the archive it writes (or wrote). */
export interface MemberHolder {
  readonly id: string;
  readonly attempt: string;
  readonly archive: string;
}

export const attemptItemSchema = z.strictObject({
  id: z.string().regex(ATTEMPT_ID),
  state: z.enum(['writing', 'done', 'failed']),
  /** Epoch milliseconds. */
  leaseUntil: count,
  archive: z.string().min(1),
  /** Epoch seconds: DynamoDB's TTL removes the item a day after the attempt ended. */
  ttl: count,
});
export type AttemptItem = z.infer<typeof attemptItemSchema>;

function parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const id = (raw as { id?: unknown } | undefined)?.id;
  throw new MalformedLedgerItemError(
    `${what} ${typeof id === 'string' ? id : '(no id)'} invalid at ${issue?.path.join('.') || 'item'}: ${issue?.message}`,
  );
}

/** Reads a member item back; anything else (an attempt item included) is refused by name. */
export function parseMemberItem(raw: unknown): MemberItem {
  return parse(memberItemSchema, raw, 'ledger member');
}

export function parseAttemptItem(raw: unknown): AttemptItem {
  return parse(attemptItemSchema, raw, 'ledger attempt');
}

/** The holder a claim or a member item names; a member item without an attempt holds nothing. */
export function parseHolder(raw: unknown): MemberHolder {
  const kind = raw && typeof raw === 'object' ? ledgerItemKind(raw as Record<string, unknown>) : 'member';
  const item = kind === 'claim' ? parse(claimItemSchema, raw, 'ledger claim') : parseMemberItem(raw);
  if (!item.attempt)
    throw new MalformedLedgerItemError(`ledger member ${item.id} invalid at attempt: required`);
  return { id: item.id, attempt: item.attempt, archive: item.archive };
}

/** A packed member's claim by `attempt`, to be stored in `archive`, kept {@link CLAIM_TTL_DAYS} from `now`. */
export function claimOf(item: MemberHolder, now: Date): ClaimItem {
  return parse(
    claimItemSchema,
    {
      id: item.id,
      attempt: item.attempt,
      archive: item.archive,
      ttl: Math.ceil(now.getTime() / 1000) + CLAIM_TTL_DAYS * DAY_SECONDS,
    },
    'ledger claim',
  );
}

/** The member item for a member stored in `archive` by `attempt` under `policy`. */
export function memberItem(
  member: MemberDescription,
  where: {
    archive: string;
    /** The attempt that claims it; none for a member read through a pack entry. */
    attempt?: string;
    policy: string;
    /** Only for a segment inside the v1 archive of its whole batch object. */
    inBatchBody?: { offset: number; length: number };
  },
): MemberItem {
  const time = new Date(member.time).toISOString();
  return parseMemberItem({
    ...member,
    time,
    sk: sortKey(time, member.id),
    archive: where.archive,
    ...(where.attempt ? { attempt: where.attempt } : {}),
    policy: where.policy,
    ...(where.inBatchBody ?? {}),
  });
}

async function* pages(
  deps: LedgerDeps,
  page: (startKey: Record<string, unknown> | undefined) => QueryCommand | ScanCommand,
): AsyncGenerator<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const res = await deps.ddb.send(page(startKey) as QueryCommand);
    for (const item of res.Items ?? []) yield item;
    startKey = res.LastEvaluatedKey;
  } while (startKey);
}

/** A pack the ledger names for a source's logs that S3 no longer has, before its expiry. */
export interface GonePack {
  readonly source: string;
  readonly archive: string;
  /** When the earliest logs it recorded for the source were shipped. */
  readonly time: string;
}

/** Which members to read; `onGonePack` hears of each pack the ledger names that is gone. */
export interface MembersRange {
  readonly from?: Date;
  readonly to?: Date;
  /**
   * Called with each pack an entry names that is gone before its expiry (deleted outside the
   * sweeper): its members cannot be read, and the caller says so. Without it, such a pack fails
   * the read with NoSuchArchiveError. A pack past its expiry is skipped either way: swept.
   */
  readonly onGonePack?: (gone: GonePack) => void;
  /** The clock a pack's expiry is judged by (a sweep run at another clock); the system's by default. */
  readonly now?: Date;
}

/**
 * Reads ledger rows as members: a member item as itself, a pack entry as the members its pack's
 * index lists for it (each pack's index read once per call).
 */
function memberReader(
  deps: LedgerDeps,
  range: MembersRange,
): (raw: Record<string, unknown>) => Promise<MemberItem[]> {
  const indexes = new Map<string, Promise<PackIndex | NoSuchArchiveError>>();
  const indexOf = (archive: string) => {
    let index = indexes.get(archive);
    if (!index) {
      const packs = deps.packs;
      if (!packs)
        throw new Error(`ledger entry for ${archive}: reading packed members needs the archive bucket`);
      index = readPackIndex(packs.s3, packs.bucket, archive).catch((error: unknown) => {
        if (error instanceof NoSuchArchiveError) return error;
        throw error;
      });
      indexes.set(archive, index);
    }
    return index;
  };
  return async (raw) => {
    if (!isEntryId(raw.id)) return [parseMemberItem(raw)];
    const entry = parse(entryItemSchema, raw, 'ledger entry');
    const index = await indexOf(entry.archive);
    if (!(index instanceof NoSuchArchiveError))
      return membersOfEntry(entry, index.members).map((m) => fromEntry(entry, index, m));
    if (packExpired(entry, range.now ?? new Date())) return [];
    if (!range.onGonePack) throw index;
    range.onGonePack({ source: entry.source, archive: entry.archive, time: entryTime(entry) });
    return [];
  };
}

function fromEntry(entry: EntryItem, index: PackIndex, m: PackIndex['members'][number]): MemberItem {
  const { group: _group, offset: _offset, length: _length, ...description } = m;
  return memberItem(description as MemberDescription, {
    archive: entry.archive,
    policy: index.header.policy,
  });
}

/** Sort keys are `<ISO time>#<hex id>`: '$' sorts right after '#', so `to`'s own members are in. */
function sortKeyBounds(range: { from?: Date; to?: Date }): { low?: string; high?: string } {
  return {
    ...(range.from ? { low: range.from.toISOString() } : {}),
    ...(range.to ? { high: `${range.to.toISOString()}$` } : {}),
  };
}

/** One source's members, oldest first; with `from`/`to`, only those whose time lies between (inclusive). */
export async function* membersOfSource(
  deps: LedgerDeps,
  source: string,
  range: MembersRange = {},
): AsyncGenerator<MemberItem> {
  const { low, high } = sortKeyBounds(range);
  const condition =
    low && high ? ' AND sk BETWEEN :low AND :high' : low ? ' AND sk >= :low' : high ? ' AND sk <= :high' : '';
  const read = memberReader(deps, range);
  for await (const raw of pages(
    deps,
    (ExclusiveStartKey) =>
      new QueryCommand({
        TableName: deps.table,
        IndexName: BY_SOURCE_INDEX,
        KeyConditionExpression: `#source = :source${condition}`,
        ExpressionAttributeNames: { '#source': 'source' },
        ExpressionAttributeValues: {
          ':source': source,
          ...(low ? { ':low': low } : {}),
          ...(high ? { ':high': high } : {}),
        },
        ExclusiveStartKey,
      }),
  ))
    yield* await read(raw);
}

/**
 * Every member the ledger records (claims and attempts left out), in no particular order; with
 * `from`/`to`, only those whose time lies between (inclusive), so that no pack outside the range
 * has its index read.
 */
export async function* allMembers(deps: LedgerDeps, range: MembersRange = {}): AsyncGenerator<MemberItem> {
  const { low, high } = sortKeyBounds(range);
  const read = memberReader(deps, range);
  for await (const raw of pages(
    deps,
    (ExclusiveStartKey) =>
      new ScanCommand({
        TableName: deps.table,
        // Only member items and entries have a source: claims and attempts do not.
        FilterExpression: `attribute_exists(#source)${low ? ' AND sk >= :low' : ''}${high ? ' AND sk <= :high' : ''}`,
        ExpressionAttributeNames: { '#source': 'source' },
        ...(low || high
          ? {
              ExpressionAttributeValues: {
                ...(low ? { ':low': low } : {}),
                ...(high ? { ':high': high } : {}),
              },
            }
          : {}),
        ExclusiveStartKey,
      }),
  ))
    yield* await read(raw);
}

export type LedgerItemKind = 'claim' | 'member' | 'entry' | 'attempt';

/** Which kind of ledger item a raw item is, by the shape this module and ledger-entries.ts write. */
export function ledgerItemKind(raw: Record<string, unknown>): LedgerItemKind {
  if (typeof raw.id === 'string' && raw.id.startsWith(ATTEMPT_PREFIX)) return 'attempt';
  if (isEntryId(raw.id)) return 'entry';
  // A claim has neither a description nor a source; anything else is read as a member item.
  return raw.kind === undefined && raw.source === undefined ? 'claim' : 'member';
}

/** Every raw ledger item, for measuring the table (no order; nothing parsed). */
export async function* rawLedgerItems(deps: LedgerDeps): AsyncGenerator<Record<string, unknown>> {
  yield* pages(deps, (ExclusiveStartKey) => new ScanCommand({ TableName: deps.table, ExclusiveStartKey }));
}

/** Who holds a member (consistent read): its claim, or its member item; undefined when neither. */
export async function getMember(deps: LedgerDeps, id: string): Promise<MemberHolder | undefined> {
  if (id.startsWith(ATTEMPT_PREFIX) || isEntryId(id)) return undefined;
  const res = await deps.ddb.send(
    new GetCommand({ TableName: deps.table, Key: { id }, ConsistentRead: true }),
  );
  return res.Item ? parseHolder(res.Item) : undefined;
}

/** The attempt item a claim names (consistent read); undefined once DynamoDB's TTL removed it. */
export async function getAttempt(deps: LedgerDeps, attemptId: string): Promise<AttemptItem | undefined> {
  const res = await deps.ddb.send(
    new GetCommand({ TableName: deps.table, Key: { id: attemptId }, ConsistentRead: true }),
  );
  return res.Item ? parseAttemptItem(res.Item) : undefined;
}

const isConflict = (error: unknown) => error instanceof ConditionalCheckFailedException;
const ttlAfter = (ms: number) => Math.ceil(ms / 1000) + DAY_SECONDS;

/** Records a new attempt to write `archive`, holding a lease of {@link LEASE_MS} from `now`. */
export async function startAttempt(deps: LedgerDeps, archive: string, now: Date): Promise<AttemptItem> {
  const leaseUntil = now.getTime() + LEASE_MS;
  const attempt = parseAttemptItem({
    id: `${ATTEMPT_PREFIX}${randomUUID()}`,
    state: 'writing',
    leaseUntil,
    archive,
    // A writer that dies leaves its attempt `writing`; a day after its lease it is gone too.
    ttl: ttlAfter(leaseUntil),
  });
  await deps.ddb.send(
    new PutCommand({ TableName: deps.table, Item: attempt, ConditionExpression: 'attribute_not_exists(id)' }),
  );
  return attempt;
}

/**
 * Extends a live attempt's lease to {@link LEASE_MS} from `now`. Returns the new end, or undefined
 * when the lease had already ended or the attempt is no longer writing: its claims may have been
 * taken over, so the writer must stop.
 */
export async function renewLease(
  deps: LedgerDeps,
  attemptId: string,
  now: Date,
): Promise<number | undefined> {
  const leaseUntil = now.getTime() + LEASE_MS;
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { id: attemptId },
        UpdateExpression: 'SET leaseUntil = :until, #ttl = :ttl',
        ConditionExpression: '#state = :writing AND leaseUntil > :now',
        ExpressionAttributeNames: { '#state': 'state', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':until': leaseUntil,
          ':ttl': ttlAfter(leaseUntil),
          ':writing': 'writing',
          ':now': now.getTime(),
        },
      }),
    );
    return leaseUntil;
  } catch (error) {
    if (isConflict(error)) return undefined;
    throw error;
  }
}

/**
 * Ends an attempt: `done` once its archive is verified and indexed, `failed` when its write failed
 * cleanly, so that retries take its claims over at once instead of waiting out the lease.
 */
export async function endAttempt(
  deps: LedgerDeps,
  attemptId: string,
  state: 'done' | 'failed',
  now: Date,
): Promise<void> {
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: { id: attemptId },
      UpdateExpression: 'SET #state = :state, leaseUntil = :now, #ttl = :ttl',
      ExpressionAttributeNames: { '#state': 'state', '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':state': state, ':now': now.getTime(), ':ttl': ttlAfter(now.getTime()) },
    }),
  );
}

export type Claim = { readonly claimed: true } | { readonly claimed: false; readonly holder: MemberHolder };

/**
 * Claims a member for an attempt: writes its claim (or member item) only if the ledger has neither.
 * On a conflict, answers who holds the member, for {@link conflictDecision}.
 */
export async function claimMember(
  deps: LedgerDeps,
  item: ClaimItem | MemberItem,
  retried = false,
): Promise<Claim> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: item,
        ConditionExpression: 'attribute_not_exists(id)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { claimed: true };
  } catch (error) {
    const old = (error as { Item?: Record<string, unknown> }).Item;
    if (!isConflict(error)) throw error;
    // Only a conflict without the old item (the sweeper forgot it in between) lands here: retry once.
    if (!old) return retried ? Promise.reject(error) : claimMember(deps, item, true);
    return { claimed: false, holder: parseHolder(unmarshalled(old)) };
  }
}

/** lib-dynamodb leaves the old item of a failed condition in DynamoDB's attribute-value form. */
function unmarshalled(item: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(item)) out[name] = fromAttribute(value);
  return out;
}

function fromAttribute(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if ('S' in v) return v.S;
  if ('N' in v) return Number(v.N);
  if ('BOOL' in v) return v.BOOL;
  if ('NULL' in v) return null;
  if ('M' in v) return unmarshalled(v.M as Record<string, unknown>);
  if ('L' in v) return (v.L as unknown[]).map(fromAttribute);
  return value;
}

/**
 * Takes over a member whose holder's attempt failed or whose lease lapsed: replaces its item only
 * while it still names that attempt, so two retries cannot both take it. False when another did.
 */
export async function takeOverMember(
  deps: LedgerDeps,
  item: ClaimItem | MemberItem,
  fromAttempt: string,
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: item,
        ConditionExpression: '#attempt = :old',
        ExpressionAttributeNames: { '#attempt': 'attempt' },
        ExpressionAttributeValues: { ':old': fromAttempt },
      }),
    );
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}

export type ConflictDecision =
  /** The member is already stored: settle it, never store it again. */
  | { readonly action: 'duplicate' }
  /** The holder's attempt failed or lapsed and its archive does not exist: take the claim over. */
  | { readonly action: 'take-over' }
  /** The holder's attempt is still writing: wait for it, at most until `until` (epoch ms). */
  | { readonly action: 'wait'; readonly until: number };

/**
 * What to do about a member another attempt holds, from its attempt item (undefined once expired)
 * and whether the archive it names exists (the writer may have died after the upload but before
 * marking the attempt done; an archive exists only once it was verified).
 */
export function conflictDecision(
  holder: { attempt: AttemptItem | undefined; archiveExists: boolean },
  now: Date,
): ConflictDecision {
  if (holder.attempt?.state === 'done' || holder.archiveExists) return { action: 'duplicate' };
  if (!holder.attempt || holder.attempt.state === 'failed') return { action: 'take-over' };
  const until = holder.attempt.leaseUntil + LEASE_GRACE_MS;
  return until <= now.getTime() ? { action: 'take-over' } : { action: 'wait', until };
}

/**
 * Removes a member's item (or a pack entry, by its id), only while it still names `archive`: the
 * sweeper forgets the members of an archive it deleted, never a member that a later archive holds.
 * False when it did not.
 */
export async function forgetMember(deps: LedgerDeps, id: string, archive: string): Promise<boolean> {
  try {
    await deps.ddb.send(
      new DeleteCommand({
        TableName: deps.table,
        Key: { id },
        ConditionExpression: '#archive = :archive',
        ExpressionAttributeNames: { '#archive': 'archive' },
        ExpressionAttributeValues: { ':archive': archive },
      }),
    );
    return true;
  } catch (error) {
    if (isConflict(error)) return false;
    throw error;
  }
}
