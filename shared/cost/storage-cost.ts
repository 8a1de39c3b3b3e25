import type { RegionPrices } from './prices.ts';

/** One archive object as a listing shows it: enough to price it. */
export interface PricedArchive {
  readonly layout: 'v1' | 'pack1';
  /** From a pack's key; a v1 archive's from its metadata (`?` when unreadable). */
  readonly policy: string;
  readonly storageClass: string;
  readonly bytes: number;
  /** Members it holds: a pack's key says; a v1 archive holds one. */
  readonly members: number;
  readonly lastModified?: Date;
}

export interface CostRow {
  readonly policy: string;
  readonly storageClass: string;
  readonly archives: number;
  readonly packs: number;
  readonly members: number;
  readonly bytes: number;
  readonly averageArchiveBytes: number;
  /** Archives written in the 30 days before `now`: the month's write requests. */
  readonly writtenLastMonth: number;
  /** USD a month for what is stored now. */
  readonly storageMonth: number;
  /** USD for the last 30 days' archive writes (one PUT each; multipart uploads of big v1 archives cost more). */
  readonly requestsMonth: number;
  /** Whether the price table has a price for this class. */
  readonly priced: boolean;
}

const GB = 1024 ** 3;
const MONTH_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Sums archives per policy and storage class and prices them from the region's price table: the
 * storage of what is stored now for a month, and the write requests of the archives written in
 * the last 30 days. An estimate: no free tier, no volume tiers, no minimum storage durations, no
 * reads or transitions. Pure.
 */
export function storageCost(archives: readonly PricedArchive[], prices: RegionPrices, now: Date): CostRow[] {
  const groups = new Map<string, PricedArchive[]>();
  for (const a of archives) {
    const key = JSON.stringify([a.policy, a.storageClass]);
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const rows = [...groups.values()].map((group) => {
    const { policy, storageClass } = group[0] as PricedArchive;
    const bytes = group.reduce((n, a) => n + a.bytes, 0);
    const written = group.filter(
      (a) => a.lastModified && now.getTime() - a.lastModified.getTime() <= MONTH_MS,
    ).length;
    const storagePrice = prices.s3.storageGbMonth[storageClass];
    const writePrice = prices.s3.writePer1000[storageClass];
    return {
      policy,
      storageClass,
      archives: group.length,
      packs: group.filter((a) => a.layout === 'pack1').length,
      members: group.reduce((n, a) => n + a.members, 0),
      bytes,
      averageArchiveBytes: Math.round(bytes / group.length),
      writtenLastMonth: written,
      storageMonth: ((storagePrice ?? 0) * bytes) / GB,
      requestsMonth: ((writePrice ?? 0) * written) / 1000,
      priced: storagePrice !== undefined && writePrice !== undefined,
    };
  });
  return rows.sort((a, b) =>
    a.policy === b.policy ? (a.storageClass < b.storageClass ? -1 : 1) : a.policy < b.policy ? -1 : 1,
  );
}
