import { describe, expect, it } from 'vitest';
import { pricesFor } from '#shared/cost/prices.ts';
import { modelCost } from '../../../bench/cost-model.ts';
import type { PackingRunResult } from '../../../bench/packing-run.ts';

// A run of 1,000 logs in 2 packs: per log a HEAD, a GET, a DELETE, a claim; per pack a PUT, a
// HEAD, an expiry entry and two KMS calls.
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
    'dynamodb:PutItem': 1002,
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
  ledgerItemBytes: 500,
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

  it('bills the ledger for each member’s item and index entry: written, stored a year, deleted', () => {
    // 14.4 M members × (4 writes of 1 WRU + 0.004 attempt writes) × $0.78125/M (Standard-IA) …
    const writes = 14_400_000 * 4.004 * 0.78125e-6;
    // … and 2 × (500 + 100) bytes each kept 12 months at $0.10/GB-month.
    const storage = ((14_400_000 * 1200) / 1e9) * 12 * 0.1;
    expect(model.byService.DynamoDB).toBeCloseTo(writes + storage, 6);
    expect(model.lines.some((l) => l.includes('(STANDARD_INFREQUENT_ACCESS)'))).toBe(true);
  });

  it('prices the ledger by the table class it is given', () => {
    const standard = modelCost(run, pricesFor('us-east-1'), 'STANDARD');
    const writes = 14_400_000 * 4.004 * 0.625e-6;
    const storage = ((14_400_000 * 1200) / 1e9) * 12 * 0.25;
    expect(standard.byService.DynamoDB).toBeCloseTo(writes + storage, 6);
  });

  it('divides the month’s total by the logs it carried, and shows that step', () => {
    const total = Object.values(model.byService).reduce((a, b) => a + b, 0);
    expect(model.usdPerMonth).toBeCloseTo(total, 9);
    expect(model.usdPerMillionLogs).toBeCloseTo(total / 14.4, 9);
    expect(model.lines.at(-1)).toMatch(/÷ 14\.4 M logs = \$\d+\.\d{2} per million logs$/);
  });
});
