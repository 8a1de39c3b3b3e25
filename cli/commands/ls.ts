import type { Command } from 'commander';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import { describeArchive, listArchives, withinTime } from '#shared/archive/list.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { humanBytes, parseInstant, printJson, printTable } from '../output.ts';
import { output, resolveTarget } from '../target.ts';

export interface ListedArchive {
  archiveKey: string;
  source: string;
  originalKey: string;
  size: number;
  archivedSize: number;
  ratio: number;
  storageClass: string;
  policy: string;
  expires: string;
}

/**
 * Lists archives with their metadata (one HEAD each, 16 at a time). Metadata is not
 * authenticated, so an archive whose metadata is gone or unreadable is listed as such rather
 * than hidden: `logvault verify` or `restore` then proves or refuses it.
 */
export async function gatherArchives(
  bucket: string,
  filter: { source?: string; from?: Date; to?: Date },
): Promise<ListedArchive[]> {
  const s3 = createS3();
  const entries = [];
  for await (const e of listArchives(s3, bucket, filter)) entries.push(e);
  const metas = await mapLimit(entries, 16, (e) =>
    describeArchive(s3, bucket, e.archiveKey).catch(() => undefined),
  );
  const out: ListedArchive[] = [];
  entries.forEach((e, i) => {
    const m = metas[i];
    if (m && !withinTime(m, filter)) return;
    out.push({
      archiveKey: e.archiveKey,
      source: m?.source ?? parseArchiveKey(e.archiveKey)?.source ?? '?',
      originalKey: m ? (m.sourceKey ?? '(in encryption context)') : UNREADABLE,
      size: m?.sourceSize ?? 0,
      archivedSize: e.archivedSize,
      ratio: m && e.archivedSize > 0 ? Number((m.sourceSize / e.archivedSize).toFixed(2)) : 0,
      storageClass: e.storageClass,
      policy: m?.policy ?? '?',
      expires: m?.expires ?? '?',
    });
  });
  return out;
}

const UNREADABLE = '(metadata missing: run logvault verify)';

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list archived logs')
    .option('-s, --source <name>', 'only this source')
    .option('--from <iso>', 'source objects modified at or after this time')
    .option('--to <iso>', 'source objects modified at or before this time')
    .option('--json', 'machine-readable output')
    .action(async (opts: { source?: string; from?: string; to?: string; json?: boolean }) => {
      const target = await resolveTarget(program.opts());
      const from = parseInstant(opts.from, '--from');
      const to = parseInstant(opts.to, '--to');
      const rows = await gatherArchives(output(target, 'ArchiveBucketName'), {
        ...(opts.source ? { source: opts.source } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      if (opts.json) return printJson(rows);
      printTable(
        ['SOURCE', 'ORIGINAL KEY', 'SIZE', 'ARCHIVED', 'RATIO', 'CLASS', 'EXPIRES'],
        rows.map((r) => [
          r.source,
          r.originalKey,
          humanBytes(r.size),
          humanBytes(r.archivedSize),
          `${r.ratio}x`,
          r.storageClass,
          r.expires === 'never' || r.expires === '?' ? r.expires : r.expires.slice(0, 10),
        ]),
      );
      const unreadable = rows.filter((r) => r.originalKey === UNREADABLE).length;
      process.stderr.write(
        `${rows.length} archive(s)${unreadable ? `, ${unreadable} with missing metadata` : ''}\n`,
      );
    });
}
