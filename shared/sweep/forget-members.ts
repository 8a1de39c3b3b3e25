import type { S3Client } from '@aws-sdk/client-s3';
import { type ParsedArchiveKey, parseArchiveKey } from '../archive/layout.ts';
import { forgetMember, type LedgerDeps, membersOfSource } from '../archive/member-ledger.ts';
import { parsePackKey } from '../archive/pack-format.ts';
import { readPackIndex } from '../archive/pack-reader.ts';
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
  const range = { from: created, to: new Date(created.getTime() + 999) };
  for await (const m of membersOfSource(ledger, parsed.source, range))
    if (m.archive === archiveKey) ids.push(m.id);
  return ids;
}

/**
 * Removes from the ledger the members an archive about to be deleted holds: a pack's, from its
 * index region (two ranged GETs), or a whole batch's. Only items still naming this archive go.
 * Answers how many were removed; any other archive holds no ledger members.
 */
export async function forgetMembersOf(deps: ForgetDeps, archiveKey: string): Promise<number> {
  const parsed = parseArchiveKey(archiveKey);
  const batchId = parsed && parseBatchObjectKey(`source/${parsed.relative}`)?.batchId;
  const created = batchId ? parseCompactUtc(batchId.slice(0, 16)) : undefined;
  const pack = parsePackKey(archiveKey) !== undefined;
  if (!pack && !(parsed && created)) return 0;
  const { ledger } = deps;
  if (!ledger) throw new Error(`${archiveKey} holds members of the member ledger, and this sweep has none`);
  const ids = pack
    ? (await readPackIndex(deps.s3, deps.bucket, archiveKey)).members.map((m) => m.id)
    : await batchArchiveMembers(ledger, parsed as ParsedArchiveKey, created as Date, archiveKey);
  const forgot = await mapLimit(ids, CONCURRENCY, (id) => forgetMember(ledger, id, archiveKey));
  return forgot.filter(Boolean).length;
}
