import { archiveKeyring } from '#shared/archive/envelope.ts';
import type { LedgerDeps } from '#shared/archive/member-ledger.ts';
import type { ReadDeps } from '#shared/archive/open-archive.ts';
import { createDocumentClient, createKms, createS3 } from '#shared/clients/aws.ts';
import { output, type Target } from './target.ts';

/** What commands that read archives need: S3, the archive keyring, the archive bucket and the ingest bucket. */
export function readDeps(target: Target): ReadDeps {
  return {
    s3: createS3(),
    keyring: archiveKeyring(output(target, 'ArchiveKeyArn'), createKms()),
    bucket: output(target, 'ArchiveBucketName'),
    ingestBucket: output(target, 'IngestBucketName'),
  };
}

/** The stack's member ledger: where packed members (and whole shipper batches) are found by source. */
export function ledgerDeps(target: Target): LedgerDeps {
  return {
    ddb: createDocumentClient(),
    table: output(target, 'MembersTableName'),
    packs: { s3: createS3(), bucket: output(target, 'ArchiveBucketName') },
  };
}
