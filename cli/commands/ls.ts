import type { Command } from 'commander';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import { describeArchive, type ListFilter, listArchives } from '#shared/archive/list.ts';
import { listedByMetadata } from '#shared/archive/selection.ts';
import { createS3 } from '#shared/clients/aws.ts';
import { listLogs } from '#shared/logs/list-logs.ts';
import { listPacks, type PackEntry } from '#shared/logs/list-packs.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { ledgerDeps } from '../clients.ts';
import { gonePackLine, missingBatchLine } from '../log-lines.ts';
import { CliError, formatRatio, humanBytes, parseRange, printJson, printTable } from '../output.ts';
import { output, resolveTarget, type Target } from '../target.ts';
import { forTerminal } from '../terminal-text.ts';

export interface ListedArchive {
  archiveKey: string;
  /** `v1`: one object's archive (archive/...); `pack1`: a pack of many members (pack/...). */
  layout: 'v1' | 'pack1';
  /** Members a pack holds (its key says); 1 for a v1 archive. */
  members: number;
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
      layout: 'v1',
      members: 1,
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

const PACK_LABEL = (members: number) => `(pack of ${members} member(s))`;

/** A pack as a row of the archive listing: many sources, so no one original key. */
function packRow(p: PackEntry): ListedArchive {
  const m = p.metadata;
  return {
    archiveKey: p.archiveKey,
    layout: 'pack1',
    members: p.members,
    source: '*',
    originalKey: m ? PACK_LABEL(p.members) : UNREADABLE,
    modified: m?.archivedAt ?? null,
    version: { of: 1, index: 1 },
    size: m?.bytesIn ?? 0,
    archivedSize: p.archivedSize,
    ratio:
      m?.bytesIn !== undefined && p.archivedSize > 0 ? Number((m.bytesIn / p.archivedSize).toFixed(2)) : 0,
    storageClass: p.storageClass,
    policy: m?.policy ?? p.policy,
    expires: m?.expires ?? '?',
    unreadable: m
      ? ['policy', 'archivedAt', 'expires', 'members', 'bytesIn'].filter((f) => !(f in m))
      : ['all'],
    timeDisagrees: false,
  };
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

async function printArchives(target: Target, filter: ListFilter, json: boolean | undefined) {
  const bucket = output(target, 'ArchiveBucketName');
  const packs = await listPacks({ s3: createS3(), bucket, ledger: ledgerDeps(target) }, filter);
  const rows = [...(await gatherArchives(bucket, filter)), ...packs.map(packRow)];
  if (json) return printJson(rows);
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
      count((r) => r.layout === 'pack1', 'packs') +
      count((r) => r.originalKey === UNREADABLE, 'with missing metadata') +
      count((r) => r.unreadable.length > 0, 'with unreadable metadata fields') +
      count((r) => r.timeDisagrees, "whose metadata time is not on their key's day") +
      '\n',
  );
}

const gapText = (gaps: readonly { start: number; end: number }[]) =>
  gaps.length === 0 ? '0' : `${gaps.length}: ${gaps.map((g) => `[${g.start}, ${g.end})`).join(' ')}`;

async function printLogs(target: Target, filter: ListFilter & { path?: string }, json: boolean | undefined) {
  const listing = await listLogs(
    { s3: createS3(), bucket: output(target, 'ArchiveBucketName'), ledger: ledgerDeps(target) },
    filter,
  );
  // A gone pack's logs are missing from the rows, JSON or not: say so where a person will see it.
  for (const g of listing.gonePacks) process.stderr.write(`${gonePackLine(g)}\n`);
  if (json) return printJson(listing.rows);
  printTable(
    ['SOURCE', 'PATH', 'GENERATION', 'FIRST SHIPPED', 'LAST SHIPPED', 'BYTES', 'SEGMENTS', 'GAPS'],
    listing.rows.map((r) => [
      forTerminal(r.source),
      forTerminal(r.path),
      forTerminal(r.generation),
      seconds(r.firstTime),
      seconds(r.lastTime),
      humanBytes(r.bytes),
      r.kind === 'object' ? 'object' : r.segments,
      gapText(r.gaps),
    ]),
  );
  const withGaps = listing.rows.filter((r) => r.gaps.length > 0).length;
  for (const m of listing.missing) process.stderr.write(`${missingBatchLine(m)}\n`);
  process.stderr.write(
    `${listing.rows.length} log(s)${withGaps ? `, ${withGaps} with gaps` : ''}` +
      `${listing.missing.length ? `, ${listing.missing.length} missing batch(es)` : ''}` +
      `${listing.gonePacks.length ? `, ${listing.gonePacks.length} pack(s) gone` : ''}\n`,
  );
}

export function registerLs(program: Command): void {
  program
    .command('ls')
    .description('list archived logs (one row per log generation), or with --archives the archive objects')
    .option('-s, --source <name>', 'only this source')
    .option('--path <glob>', 'only logs whose path (or key below the source) matches')
    .option('--from <iso>', 'logs shipped (objects: modified) at or after this time')
    .option('--to <iso>', 'logs shipped (objects: modified) at or before this time')
    .option('--archives', 'list archive objects (v1 archives and packs) with their keys instead')
    .option('--json', 'machine-readable output (log rows keep their archive keys and member ids)')
    .addHelpText(
      'after',
      '\nA log shipped by a logvault shipper is one row per generation (a rotated file is a new one):\n' +
        'FIRST/LAST SHIPPED are when its first and last stored bytes were shipped, GAPS the byte ranges\n' +
        'no archive holds or the host lost. An object not made by a shipper is a log of its own.\n' +
        'Rows come from the member ledger and metadata: `restore` and `verify` prove them.\n' +
        '\nWith --archives: ARCHIVE KEY is what `restore` and `hold` take. VER numbers the v1 archives of\n' +
        'one original key by modification time (MODIFIED, UTC, from metadata; a pack: when archived).',
    )
    .action(
      async (opts: {
        source?: string;
        path?: string;
        from?: string;
        to?: string;
        archives?: boolean;
        json?: boolean;
      }) => {
        const target = await resolveTarget(program.opts());
        const { from, to } = parseRange(opts);
        const filter = {
          ...(opts.source ? { source: opts.source } : {}),
          ...(from ? { from } : {}),
          ...(to ? { to } : {}),
        };
        if (opts.archives) {
          if (opts.path !== undefined) throw new CliError('ls: --path lists logs, not --archives', 2);
          return printArchives(target, filter, opts.json);
        }
        return printLogs(
          target,
          { ...filter, ...(opts.path !== undefined ? { path: opts.path } : {}) },
          opts.json,
        );
      },
    );
}
