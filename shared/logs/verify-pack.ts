import type { MemberItem } from '../archive/member-ledger.ts';
import { openPack, type PackSourceDeps } from '../archive/open-pack.ts';
import { IntegrityError } from '../errors.ts';

/** Where the ledger and a pack's authenticated index disagree about one member. */
export interface LedgerMismatch {
  readonly archiveKey: string;
  readonly member: string;
  readonly problem: string;
}

export interface PackVerdict {
  readonly archiveKey: string;
  /** Members whose bytes (gaps: whose record) were proven. */
  readonly verified: number;
  readonly failures: readonly string[];
  readonly mismatches: readonly LedgerMismatch[];
}

/**
 * What the ledger should say of a pack, given its proven index: every member of the index is
 * recorded as stored in this pack, and every member recorded as stored in it is in the index.
 * `ledger` holds the items to compare (those of the sources looked at); `sources`, when given,
 * limits the index side to those sources. Pure.
 */
export function reconcile(
  archiveKey: string,
  indexIds: ReadonlyMap<string, string>,
  ledger: ReadonlyMap<string, Pick<MemberItem, 'id' | 'archive' | 'source'>>,
  sources?: ReadonlySet<string>,
): LedgerMismatch[] {
  const out: LedgerMismatch[] = [];
  for (const [id, source] of indexIds) {
    if (sources && !sources.has(source)) continue;
    const item = ledger.get(id);
    if (!item) out.push({ archiveKey, member: id, problem: 'in the pack, not in the ledger' });
    else if (item.archive !== archiveKey)
      out.push({ archiveKey, member: id, problem: `in the pack; the ledger says it is in ${item.archive}` });
  }
  for (const item of ledger.values())
    if (item.archive === archiveKey && !indexIds.has(item.id))
      out.push({ archiveKey, member: item.id, problem: 'in the ledger, not in the pack' });
  return out;
}

/**
 * Verifies a pack: every member read as a restore reads it (its group decrypted, its context
 * matched to the index, its SHA-256 checked), group by group so each is fetched once; all groups
 * share one data key, so the whole pack costs one KMS Decrypt. Then the ledger is reconciled with
 * the index the groups proved.
 */
export async function verifyPack(
  deps: PackSourceDeps,
  archiveKey: string,
  ledger: ReadonlyMap<string, Pick<MemberItem, 'id' | 'archive' | 'source'>>,
  sources?: ReadonlySet<string>,
): Promise<PackVerdict> {
  const pack = await openPack(deps, archiveKey);
  const failures: string[] = [];
  let verified = 0;
  const members = [...pack.index.members].sort((a, b) => a.group - b.group);
  for (const m of members) {
    try {
      await pack.read(m.id);
      verified += 1;
    } catch (error) {
      if (!(error instanceof IntegrityError)) throw error;
      failures.push(error.message);
    }
  }
  // An index no group proved is not trusted for reconciling.
  if (!pack.proven()) return { archiveKey, verified, failures: [...new Set(failures)], mismatches: [] };
  const indexIds = new Map(pack.index.members.map((m) => [m.id, m.source]));
  return {
    archiveKey,
    verified,
    failures: [...new Set(failures)],
    mismatches: reconcile(archiveKey, indexIds, ledger, sources),
  };
}
