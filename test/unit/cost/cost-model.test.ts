import { describe, expect, it } from 'vitest';
import { pricesFor } from '#shared/cost/prices.ts';
import { modelCost } from '../../../bench/cost-model.ts';
import type { PackingRunResult } from '../../../bench/packing-run.ts';

// A run of 1,000 logs in 2 packs: per log a HEAD, a GET, a DELETE, a claim and a pack entry; per
// pack a PUT, a HEAD, an expiry entry, two KMS calls and the attempt's two writes.
const run: PackingRunResult = {
  threshold: 4 * 1024 * 1024,
  count: 1000,
  bytes: 10 * 1024,
  windowSeconds: 300,
  byOperation: {
    's3:HeadObject': 1002,
    's3:GetObject': 1000,
    's3:DeleteObject': 1000,
    's3:PutObject': 4,
    'kms:GenerateDataKey': 2,
    'kms:Decrypt': 2,
    'dynamodb:PutItem': 2002,
    'dynamodb:UpdateItem': 2,
  },
  perArchiveOps: { 's3:PutObject': 4, 's3:HeadObject': 2 },
  functions: {
    IngestLambdaFunction: { invocations: 100, ms: 10_000, memoryMb: 256 },
    ArchiveLambdaFunction: { invocations: 2, ms: 4_000, memoryMb: 1769 },
  },
  archiveObjects: 2,
  bytesIn: 1000 * 10 * 1024,
  bytesOut: (1000 * 10 * 1024) / 8,
  archiveSizes: [640_000, 640_000],
  latencyMs: { p50: 6000, p95: 9000, max: 9500 },
  ledgerItems: {
    claim: { count: 1000, meanBytes: 150 },
    entry: { count: 1000, meanBytes: 250 },
    attempt: { count: 2, meanBytes: 180 },
  },
};

describe('modelCost', () => {
  const model = modelCost(run, pricesFor('us-east-1'), 'STANDARD_INFREQUENT_ACCESS');

  it('models the reference fleet: 14.4 M logs a month in 43,200 packs of megabytes', () => {
    expect(model.logsPerMonth).toBe(14_400_000);
    expect(model.packBytes).toBeGreaterThan(1024 * 1024);
    expect(model.bytesShareAtLeast128KiB).toBe(1);
  });

  it('charges per object what was measured per log, and per pack what was measured per pack', () => {
    // 2.88 M objects × (1 shipper PUT + 0 pipeline PUTs) × $0.005/1,000 = $14.40 of PUTs.
    expect(model.lines).toContain(
      'S3 requests: 2,880,000 objects × (1 shipper PUT + 0.00) × $0.0050/1,000 = $14.40',
    );
    // Per pack: 2 PUT-class (the pack, its expiry entry) and 1 HEAD; KMS 2 per pack.
    expect(model.lines.some((l) => l.includes('43,200 packs × 2.0 requests'))).toBe(true);
  });

  // 14.4 M members (claims), 2.88 M ingest objects (entries), 43,200 packs (attempts) a month.
  const ledgerWrites = (wru: number) => (14_400_000 * 1 + 2_880_000 * 2 + 43_200 * 2) * wru;
  // Claims (150 + 100 B) kept 15 days; entries (250 + 100 B) kept 12 months and 30 days, in the
  // table (storage + point-in-time recovery at $0.20) and in the index (storage).
  const ledgerBytes = (storage: number) =>
    ((14_400_000 * 250 * 0.5 + 2_880_000 * 350 * 13) / 1e9) * (storage + 0.2) +
    ((2_880_000 * 350 * 13) / 1e9) * storage;

  it('bills the ledger a short-lived claim per member and a kept entry per ingest object', () => {
    expect(model.byService.DynamoDB).toBeCloseTo(ledgerWrites(0.78125e-6) + ledgerBytes(0.1), 6);
    expect(model.lines.some((l) => l.includes('(STANDARD_INFREQUENT_ACCESS)'))).toBe(true);
  });

  it('prices the ledger by the table class it is given', () => {
    const standard = modelCost(run, pricesFor('us-east-1'), 'STANDARD');
    expect(standard.byService.DynamoDB).toBeCloseTo(ledgerWrites(0.625e-6) + ledgerBytes(0.25), 6);
  });

  it('divides the month’s total by the logs it carried, and shows that step', () => {
    const total = Object.values(model.byService).reduce((a, b) => a + b, 0);
    expect(model.usdPerMonth).toBeCloseTo(total, 9);
    expect(model.usdPerMillionLogs).toBeCloseTo(total / 14.4, 9);
    expect(model.lines.at(-1)).toMatch(/÷ 14\.4 M logs = \$\d+\.\d{2} per million logs$/);
  });
});
