import type { Command } from 'commander';
import { describeArchive, listArchives } from '#shared/archive/list.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { pricesFor, priceTable } from '#shared/cost/prices.ts';
import { type PricedArchive, storageCost } from '#shared/cost/storage-cost.ts';
import { listPacks } from '#shared/logs/list-packs.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { CliError, humanBytes, printJson, printTable } from '../output.ts';
import { output, resolveTarget } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;

export function registerCost(program: Command): void {
  program
    .command('cost')
    .description('what the archive stores, per policy and storage class, and what it costs a month')
    .option('--region <region>', "price table region (default: the stage's region)")
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nOne HEAD per archive object (v1 archives: their policy; packs: when written). STORAGE/MONTH\n' +
        'prices what is stored now for a month; REQUESTS/MONTH the writes of the archives written\n' +
        'in the last 30 days. List prices from shared/cost/prices.json (its date and sources are\n' +
        'printed): no free tier, volume tiers, minimum storage durations, reads or transitions.',
    )
    .action(async (opts: { region?: string; json?: boolean }) => {
      const target = await resolveTarget(program.opts());
      const region = opts.region ?? target.region;
      let prices: ReturnType<typeof pricesFor>;
      try {
        prices = pricesFor(region);
      } catch (error) {
        throw new CliError(`cost: ${(error as Error).message}`, 2);
      }
      const s3 = createS3();
      const bucket = output(target, 'ArchiveBucketName');
      const v1 = [];
      for await (const e of listArchives(s3, bucket)) v1.push(e);
      const metas = await mapLimit(v1, 16, (e) =>
        describeArchive(s3, bucket, e.archiveKey).catch(() => undefined),
      );
      const packs = await listPacks({ s3, bucket }, {});
      const archives: PricedArchive[] = [
        ...v1.map((e, i) => ({
          layout: 'v1' as const,
          policy: metas[i]?.policy ?? '?',
          storageClass: e.storageClass,
          bytes: e.archivedSize,
          members: 1,
          ...(e.lastModified ? { lastModified: e.lastModified } : {}),
        })),
        ...packs.map((p) => ({
          layout: 'pack1' as const,
          policy: p.policy,
          storageClass: p.storageClass,
          bytes: p.archivedSize,
          members: p.members,
          ...(p.lastModified ? { lastModified: p.lastModified } : {}),
        })),
      ];
      const rows = storageCost(archives, prices, new Date());
      const total = {
        archives: archives.length,
        bytes: rows.reduce((n, r) => n + r.bytes, 0),
        storageMonth: rows.reduce((n, r) => n + r.storageMonth, 0),
        requestsMonth: rows.reduce((n, r) => n + r.requestsMonth, 0),
      };
      const table = {
        retrieved: priceTable.retrieved,
        sources: priceTable.sources.s3 ?? [],
        note: priceTable.note,
      };
      if (opts.json) return printJson({ region, prices: table, rows, total });
      printTable(
        [
          'POLICY',
          'CLASS',
          'ARCHIVES',
          'PACKS',
          'MEMBERS',
          'STORED',
          'AVG ARCHIVE',
          'STORAGE/MONTH',
          'WRITTEN 30D',
          'REQUESTS/MONTH',
        ],
        rows.map((r) => [
          forTerminal(r.policy),
          r.storageClass,
          r.archives,
          r.packs,
          r.members,
          humanBytes(r.bytes),
          humanBytes(r.averageArchiveBytes),
          r.priced ? usd(r.storageMonth) : '(no price)',
          r.writtenLastMonth,
          r.priced ? usd(r.requestsMonth) : '(no price)',
        ]),
      );
      process.stderr.write(
        `${total.archives} archive(s), ${humanBytes(total.bytes)}: about ${usd(total.storageMonth)} a month to store, ` +
          `${usd(total.requestsMonth)} for the last 30 days' writes (${region} list prices of ${table.retrieved}, ` +
          `${table.sources.join(', ')})\n`,
      );
    });
}
