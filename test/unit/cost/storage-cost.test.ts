import { describe, expect, it } from 'vitest';
import { pricesFor } from '#shared/cost/prices.ts';
import { type PricedArchive, storageCost } from '#shared/cost/storage-cost.ts';

const now = new Date('2026-11-26T12:00:00Z');
const GB = 1024 ** 3;
const prices = pricesFor('us-east-1');
const archive = (over: Partial<PricedArchive>): PricedArchive => ({
  layout: 'pack1',
  policy: 'standard',
  storageClass: 'STANDARD',
  bytes: GB,
  members: 100,
  lastModified: new Date('2026-11-20T00:00:00Z'),
  ...over,
});

describe('what the archive costs', () => {
  it('sums archives per policy and class, and prices a month of storage and the last 30 days of writes', () => {
    const rows = storageCost(
      [
        archive({}),
        archive({ layout: 'v1', members: 1, bytes: 2 * GB, lastModified: new Date('2026-09-01T00:00:00Z') }),
        archive({ policy: 'audit', storageClass: 'GLACIER', bytes: 4 * GB }),
      ],
      prices,
      now,
    );
    expect(rows).toEqual([
      expect.objectContaining({
        policy: 'audit',
        storageClass: 'GLACIER',
        archives: 1,
        packs: 1,
        members: 100,
        storageMonth: 4 * (prices.s3.storageGbMonth.GLACIER as number),
        requestsMonth: (prices.s3.writePer1000.GLACIER as number) / 1000,
        priced: true,
      }),
      expect.objectContaining({
        policy: 'standard',
        archives: 2,
        packs: 1,
        members: 101,
        bytes: 3 * GB,
        averageArchiveBytes: 1.5 * GB,
        writtenLastMonth: 1,
        storageMonth: 3 * (prices.s3.storageGbMonth.STANDARD as number),
      }),
    ]);
  });

  it('a class the table has no price for is counted and said to be unpriced', () => {
    const [row] = storageCost([archive({ storageClass: 'INTELLIGENT_TIERING' })], prices, now);
    expect(row).toMatchObject({ archives: 1, priced: false, storageMonth: 0 });
  });
});
