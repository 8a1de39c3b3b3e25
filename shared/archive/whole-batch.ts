import type { AdmittedJob } from './admit-job.ts';
import { type ArchiveDeps, type ArchiveOutcome, archiveObject, deleteSource } from './archive-object.ts';
import type { ArchiveJob } from './job.ts';
import { endAttempt, type LedgerDeps, startAttempt } from './member-ledger.ts';
import { claimForExisting, claimRequest } from './pack-claims.ts';
import { batchMembers } from './pack-sources.ts';
import { openSource, type SourceObject } from './source-object.ts';

/**
 * Archives a shipper's batch object too large to pack: validated first (a batch that is not what
 * it claims is poison, and never archived), then archived whole on the v1 path (unchanged format),
 * then each of its segments and gaps recorded in the ledger with where its bytes are in the
 * decoded batch body. The source is deleted (if the policy says so) only after all of that, so a
 * retry after any failure finds it again.
 */
export async function archiveWholeBatch(
  job: ArchiveJob,
  admitted: AdmittedJob,
  src: SourceObject,
  deps: ArchiveDeps & { readonly ledger: LedgerDeps },
): Promise<ArchiveOutcome> {
  const now = deps.now ?? (() => new Date());
  const { members } = await batchMembers(src, admitted.source, await openSource(deps.s3, src));
  const pinned = src.versionId ? { ...job, versionId: src.versionId } : job;
  const outcome = await archiveObject(pinned, deps, { keepSource: true });
  if (outcome.status === 'vanished') return outcome;
  const attempt = await startAttempt(deps.ledger, outcome.archiveKey, now());
  const items = members.map(({ description, offset }) =>
    claimRequest(description, {
      archive: outcome.archiveKey,
      attempt: attempt.id,
      policy: admitted.policy.name,
      ...(description.kind === 'segment' ? { inBatchBody: { offset, length: description.size } } : {}),
    }),
  );
  const claims = await claimForExisting(
    {
      ledger: deps.ledger,
      s3: deps.s3,
      archiveBucket: deps.config.archiveBucket,
      now,
      record: 'members',
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
    items,
  );
  // The archive exists and is verified: whatever this attempt claimed is stored.
  await endAttempt(deps.ledger, attempt.id, 'done', now());
  for (const c of claims.values()) {
    if (c.outcome === 'failed') throw c.error;
    if (c.outcome === 'busy')
      throw new Error(`${outcome.archiveKey}: a member is still held by attempt ${c.attempt}`);
  }
  const deleted = admitted.policy.deleteSourceAfterArchive;
  if (deleted) await deleteSource(deps.s3, src);
  return { ...outcome, sourceDeleted: deleted };
}
