import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DeleteFailure } from './delete-batch.ts';

export const REPORT_PREFIX = '_logvault/reports/sweep/';
// Key lists in the stored report are capped; the counts are always complete.
const MAX_LISTED = 10_000;

export interface SweepReport {
  runId: string;
  now: string;
  dryRun: boolean;
  /** The clock read earlier than the last run's: nothing was deleted. */
  refused: boolean;
  /** False when the run stopped at its deadline and left the rest to a continuation. */
  complete: boolean;
  days: string[];
  scanned: number;
  expired: number;
  /** Real run: archives deleted. Always 0 in a dry run, which deletes nothing. */
  deleted: number;
  skipped: { held: number; locked: number; notExpired: number };
  failed: number;
  /** Real run: bytes the deleted archives held. Always 0 in a dry run. */
  bytesFreed: number;
  /** Dry run: archives the same run would delete for real (0 in a real run). */
  wouldDelete: number;
  /** Dry run: bytes those archives hold (0 in a real run). */
  bytesWouldFree: number;
  /** Index entries whose archive was already gone, removed. */
  staleIndexEntries: number;
  /** Real run: the archives deleted (empty in a dry run). */
  deletedKeys: string[];
  /** Dry run: the archives that would be deleted (empty in a real run). */
  wouldDeleteKeys: string[];
  keptKeys: { archiveKey: string; reason: 'held' | 'locked' }[];
  failures: DeleteFailure[];
}

export function emptyReport(runId: string, now: Date, dryRun: boolean): SweepReport {
  return {
    runId,
    now: now.toISOString(),
    dryRun,
    refused: false,
    complete: true,
    days: [],
    scanned: 0,
    expired: 0,
    deleted: 0,
    skipped: { held: 0, locked: 0, notExpired: 0 },
    failed: 0,
    bytesFreed: 0,
    wouldDelete: 0,
    bytesWouldFree: 0,
    staleIndexEntries: 0,
    deletedKeys: [],
    wouldDeleteKeys: [],
    keptKeys: [],
    failures: [],
  };
}

/** Stores the run's report as JSON in the archive bucket; returns its key. */
export async function storeReport(s3: S3Client, bucket: string, report: SweepReport): Promise<string> {
  const key = `${REPORT_PREFIX}${report.now.replaceAll(':', '')}-${report.runId}.json`;
  const body = {
    ...report,
    deletedKeys: report.deletedKeys.slice(0, MAX_LISTED),
    wouldDeleteKeys: report.wouldDeleteKeys.slice(0, MAX_LISTED),
    keptKeys: report.keptKeys.slice(0, MAX_LISTED),
    failures: report.failures.slice(0, MAX_LISTED),
  };
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: JSON.stringify(body),
      ContentType: 'application/json',
    }),
  );
  return key;
}
