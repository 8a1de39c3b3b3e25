import type { S3Client } from '@aws-sdk/client-s3';
import { type ParsedArchiveKey, parseArchiveKey } from '../archive/layout.ts';
import { entryIdsOf, keepEntries } from '../archive/ledger-entries.ts';
import { forgetMember, type LedgerDeps, membersOfSource } from '../archive/member-ledger.ts';
import { parsePackKey } from '../archive/pack-format.ts';
import { type PackIndex, readPackIndex } from '../archive/pack-reader.ts';
import { mapLimit } from '../map-limit.ts';
import { parseBatchObjectKey } from '../segments/batch-format.ts';
import { parseCompactUtc } from '../segments/identity.ts';

export interface ForgetDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly ledger?: LedgerDeps;
}

const CONCURRENCY = 16;

/**
 * The members the ledger records for a v1 archive of a whole shipper batch: they carry the
 * batch's creation time, which its id starts with, so one Query of the source finds them.
 */
async function batchArchiveMembers(
  ledger: LedgerDeps,
  parsed: ParsedArchiveKey,
  created: Date,
  archiveKey: string,
): Promise<string[]> {
  const ids: string[] = [];
  // Only this batch's own members are wanted: a pack gone from the same second is not its concern.
  const range = { from: created, to: new Date(created.getTime() + 999), onGonePack: () => undefined };
  for await (const m of membersOfSource(ledger, parsed.source, range))
    if (m.archive === archiveKey) ids.push(m.id);
  return ids;
}

const entryIds = (index: PackIndex) => entryIdsOf(index.key, index.members);

/**
 * Removes from the ledger the members an archive about to be deleted holds: a pack's, from its
 * index region (two ranged GETs), or a whole batch's. Only items still naming this archive go.
 * A pack's entries go by their TTL, unless a hold had them kept ({@link keepMembersOf}): then
 * `held` says so and they are removed here. Its members' claims go by TTL. Answers how many
 * items were removed; any other archive has none.
 */
export async function forgetMembersOf(deps: ForgetDeps, archiveKey: string, held: boolean): Promise<number> {
  const parsed = parseArchiveKey(archiveKey);
  const batchId = parsed && parseBatchObjectKey(`source/${parsed.relative}`)?.batchId;
  const created = batchId ? parseCompactUtc(batchId.slice(0, 16)) : undefined;
  const pack = parsePackKey(archiveKey) !== undefined;
  if (!pack && !(parsed && created)) return 0;
  const { ledger } = deps;
  if (!ledger) throw new Error(`${archiveKey} holds members of the member ledger, and this sweep has none`);
  if (pack) {
    const index = await readPackIndex(deps.s3, deps.bucket, archiveKey);
    if (index.header.ledger === 'entries') return held ? forgetIds(ledger, archiveKey, entryIds(index)) : 0;
    return forgetIds(
      ledger,
      archiveKey,
      index.members.map((m) => m.id),
    );
  }
  const ids = await batchArchiveMembers(ledger, parsed as ParsedArchiveKey, created as Date, archiveKey);
  return forgetIds(ledger, archiveKey, ids);
}

async function forgetIds(ledger: LedgerDeps, archiveKey: string, ids: readonly string[]): Promise<number> {
  const forgot = await mapLimit(ids, CONCURRENCY, (id) => forgetMember(ledger, id, archiveKey));
  return forgot.filter(Boolean).length;
}

/**
 * A held pack outlives its expiry: its entries' TTL is cleared so that the ledger keeps naming it
 * for as long as the hold lasts. Other archives' ledger items have no TTL.
 */
export async function keepMembersOf(deps: ForgetDeps, archiveKey: string): Promise<void> {
  if (!parsePackKey(archiveKey)) return;
  const { ledger } = deps;
  if (!ledger) throw new Error(`${archiveKey} holds members of the member ledger, and this sweep has none`);
  const index = await readPackIndex(deps.s3, deps.bucket, archiveKey);
  if (index.header.ledger === 'entries') await keepEntries(ledger, entryIds(index));
}
