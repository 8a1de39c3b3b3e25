import type { Command } from 'commander';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import { describeArchive, type ListFilter, listArchives } from '#shared/archive/list.ts';
import { listedByMetadata } from '#shared/archive/selection.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { formatRatio, humanBytes, parseRange, printJson, printTable } from '../output.ts';
import { output, resolveTarget } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

export interface ListedArchive {
  archiveKey: string;
  source: string;
  originalKey: string;
  /** When the source was modified, as the metadata says (null when it does not). */
  modified: string | null;
  /** How many listed archives hold this original key, and which of them (by modification time) this is. */
  version: { of: number; index: number };
  size: number;
  archivedSize: number;
  ratio: number;
  storageClass: string;
  policy: string;
  expires: string;
  /** Metadata fields that are missing or malformed. */
  unreadable: string[];
  /** The metadata's modification time lies on another day than the archive key's. */
  timeDisagrees: boolean;
}

const UNREADABLE = '(metadata missing: run logvault verify)';
const KEY_UNREADABLE = '(unreadable in metadata: run logvault verify)';

/**
 * Lists archives with their metadata (one HEAD each, 16 at a time). Metadata is not
 * authenticated, so it is read field by field and an archive whose metadata is gone or partly
 * unreadable is listed as such rather than hidden: `logvault verify` or `restore` then proves or
 * refuses it. Archives are selected by their key's day; metadata narrows that only within the day
 * it agrees with.
 */
export async function gatherArchives(bucket: string, filter: ListFilter): Promise<ListedArchive[]> {
  const s3 = createS3();
  const entries = [];
  for await (const e of listArchives(s3, bucket, filter)) entries.push(e);
  const metas = await mapLimit(entries, 16, (e) =>
    describeArchive(s3, bucket, e.archiveKey).catch(() => undefined),
  );
  const out: Omit<ListedArchive, 'version'>[] = [];
  entries.forEach((e, i) => {
    const m = metas[i];
    const parsed = parseArchiveKey(e.archiveKey);
    const byTime = listedByMetadata(m, parsed?.day ?? '', filter);
    if (byTime === 'out') return;
    out.push({
      archiveKey: e.archiveKey,
      source: m?.source ?? parsed?.source ?? '?',
      originalKey: !m
        ? UNREADABLE
        : (m.sourceKey ??
          (m.unreadable.includes('lv-source-key') ? KEY_UNREADABLE : '(in encryption context)')),
      modified: m?.sourceModified ?? null,
      size: m?.sourceSize ?? 0,
      archivedSize: e.archivedSize,
      ratio:
        m?.sourceSize !== undefined && e.archivedSize > 0
          ? Number((m.sourceSize / e.archivedSize).toFixed(2))
          : 0,
      storageClass: e.storageClass,
      policy: m?.policy ?? '?',
      expires: m?.expires ?? '?',
      unreadable: m ? [...m.unreadable] : [],
      timeDisagrees: byTime === 'disagrees',
    });
  });
  return withVersions(out);
}

/** Numbers the archives of each original key by modification time, so versions can be told apart. */
function withVersions(rows: Omit<ListedArchive, 'version'>[]): ListedArchive[] {
  const byKey = new Map<string, Omit<ListedArchive, 'version'>[]>();
  for (const r of rows) byKey.set(r.originalKey, [...(byKey.get(r.originalKey) ?? []), r]);
  const order = (r: Omit<ListedArchive, 'version'>) => `${r.modified ?? ''}\n${r.archiveKey}`;
  return rows.map((r) => {
    const same = r.originalKey.startsWith('(') ? [r] : (byKey.get(r.originalKey) ?? [r]);
    const sorted = [...same].sort((a, b) => (order(a) < order(b) ? -1 : 1));
    return { ...r, version: { of: same.length, index: sorted.indexOf(r) + 1 } };
  });
}

const seconds = (iso: string | null) => (iso ? `${new Date(iso).toISOString().slice(0, 19)}Z` : '?');

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list archived logs')
    .option('-s, --source <name>', 'only this source')
    .option('--from <iso>', 'source objects modified at or after this time')
    .option('--to <iso>', 'source objects modified at or before this time')
    .option('--json', 'machine-readable output')
    .addHelpText(
      'after',
      '\nARCHIVE KEY is what `restore` and `hold` take. VER numbers the archives of one original key\n' +
        'by modification time (MODIFIED, UTC, from metadata). Archives that restore to one path are\n' +
        'named <path>.<YYYYMMDDTHHMMSSZ> by the authenticated modification time (for older archives,\n' +
        "the key's day), plus -<first 8 hex digits of the archive key's id> where two share a second.",
    )
    .action(async (opts: { source?: string; from?: string; to?: string; json?: boolean }) => {
      const target = await resolveTarget(program.opts());
      const { from, to } = parseRange(opts);
      const rows = await gatherArchives(output(target, 'ArchiveBucketName'), {
        ...(opts.source ? { source: opts.source } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      if (opts.json) return printJson(rows);
      printTable(
        [
          'SOURCE',
          'ORIGINAL KEY',
          'VER',
          'MODIFIED',
          'SIZE',
          'ARCHIVED',
          'RATIO',
          'CLASS',
          'EXPIRES',
          'ARCHIVE KEY',
        ],
        rows.map((r) => [
          forTerminal(r.source),
          forTerminal(r.originalKey),
          r.version.of > 1 ? `${r.version.index}/${r.version.of}` : '',
          seconds(r.modified),
          humanBytes(r.size),
          humanBytes(r.archivedSize),
          formatRatio(r.size, r.archivedSize),
          r.storageClass,
          r.expires === 'never' || r.expires === '?' ? r.expires : r.expires.slice(0, 10),
          forTerminal(r.archiveKey),
        ]),
      );
      const count = (f: (r: ListedArchive) => boolean, what: string) => {
        const n = rows.filter(f).length;
        return n ? `, ${n} ${what}` : '';
      };
      process.stderr.write(
        `${rows.length} archive(s)` +
          count((r) => r.originalKey === UNREADABLE, 'with missing metadata') +
          count((r) => r.unreadable.length > 0, 'with unreadable metadata fields') +
          count((r) => r.timeDisagrees, "whose metadata time is not on their key's day") +
          '\n',
      );
    });
}
