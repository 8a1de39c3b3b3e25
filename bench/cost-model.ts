import { ENTRY_TTL_GRACE_DAYS } from '#shared/archive/ledger-entries.ts';
import { CLAIM_TTL_DAYS } from '#shared/archive/member-ledger.ts';
import { ITEM_STORAGE_OVERHEAD_BYTES, writeUnits } from '#shared/cost/dynamodb-item-size.ts';
import type { DynamoTableClass, RegionPrices } from '#shared/cost/prices.ts';
import type { PackingRunResult } from './packing-run.ts';

/**
 * The reference fleet's monthly bill, modelled from one measured packing run and the price table:
 * 1,000 hosts × 5 logs × 96 shipper runs a day, 50 KB a log, each host run ONE ingest object (a
 * shipper batch of its 5 logs: 5 segment members), archives kept a year. Every step of the
 * arithmetic is returned as a line of text, so the report shows how the figure was reached.
 */
export const FLEET = {
  hosts: 1_000,
  logsPerRun: 5,
  runsPerDay: 96,
  logBytes: 50_000,
  daysPerMonth: 30,
  keptMonths: 12,
  /** Batches Lambda's SQS poller is assumed to split one window's jobs into (it scales pollers with the backlog). */
  batchesPerWindow: 5,
  /** The ingest function's batch size (serverless.yml): jobs per invocation and per SQS receive. */
  ingestBatch: 10,
  /** Archive jobs SQS hands over per receive (Lambda's poller receives at most 10 at a time). */
  perReceive: 10,
  /** The archive and pipeline keys: KMS bills each key by the month. */
  customerKeys: 2,
} as const;

export interface CostModel {
  readonly usdPerMonth: number;
  readonly usdPerMillionLogs: number;
  readonly logsPerMonth: number;
  readonly packBytes: number;
  /** Share of archived bytes in objects of at least 128 KiB. */
  readonly bytesShareAtLeast128KiB: number;
  readonly byService: Record<string, number>;
  readonly lines: string[];
}

const SMALL = 128 * 1024;
const GB = 1e9;
const sum = (o: Record<string, number>, pred: (label: string) => boolean) =>
  Object.entries(o)
    .filter(([label]) => pred(label))
    .reduce((n, [, v]) => n + v, 0);

const S3_WRITES = new Set([
  'PutObject',
  'CopyObject',
  'CreateMultipartUpload',
  'UploadPart',
  'CompleteMultipartUpload',
  'ListObjectsV2',
  'ListObjectVersions',
  'ListMultipartUploads',
  'PUTObject:tagging',
  'PUTObject:legal-hold',
  'PUTObject:retention',
]);
const S3_FREE = new Set(['DeleteObject', 'DeleteObjects', 'AbortMultipartUpload']);
export const isS3Write = (label: string) => label.startsWith('s3:') && S3_WRITES.has(label.slice(3));
export const isS3Free = (label: string) => label.startsWith('s3:') && S3_FREE.has(label.slice(3));
export const isS3Read = (label: string) => label.startsWith('s3:') && !isS3Write(label) && !isS3Free(label);

const usd = (n: number) => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
const num = (n: number) => Math.round(n).toLocaleString('en-US');

/** The model; `after` is a packing run of small logs (one job and one member per log). */
export function modelCost(
  after: PackingRunResult,
  prices: RegionPrices,
  /** The member table's class, as the template declares it. */
  tableClass: DynamoTableClass,
): CostModel {
  const lines: string[] = [];
  const f = FLEET;
  const objects = f.hosts * f.runsPerDay * f.daysPerMonth;
  const logs = objects * f.logsPerRun;
  const members = logs;
  const rawBytes = logs * f.logBytes;
  const ratio = after.bytesIn / after.bytesOut;
  const archivedBytes = rawBytes / ratio;
  // The window the run was measured at: the deployed default (serverless.yml `params.default`).
  const windows = (f.daysPerMonth * 86_400) / after.windowSeconds;
  const packs = windows * f.batchesPerWindow;
  const packBytes = archivedBytes / packs;
  lines.push(
    `fleet: ${num(f.hosts)} hosts × ${f.runsPerDay} runs/day × ${f.daysPerMonth} days = ${num(objects)} ingest objects/month, × ${f.logsPerRun} logs = ${num(logs)} logs (${num(members)} segment members)`,
    `bytes: ${num(logs)} × ${f.logBytes / 1000} KB = ${(rawBytes / GB).toFixed(0)} GB raw/month; ÷ ${ratio.toFixed(2)} (measured ratio of the packs) = ${(archivedBytes / GB).toFixed(1)} GB archived/month`,
    `packs: ${num(windows)} windows of ${after.windowSeconds} s × ${f.batchesPerWindow} batches each = ${num(packs)} packs/month of ${(packBytes / 1024 / 1024).toFixed(2)} MiB (${(objects / packs).toFixed(0)} ingest objects each)`,
  );

  // Measured per job (one small log = one ingest object = one member) and per pack.
  const n = after.count;
  const p = Math.max(1, after.archiveObjects);
  const ops = after.byOperation;
  const perPack = after.perArchiveOps;
  const perJob = Object.fromEntries(Object.entries(ops).map(([k, v]) => [k, v - (perPack[k] ?? 0)]));
  const s3WritesPerObject = sum(perJob, isS3Write) / n;
  const s3ReadsPerObject = sum(perJob, isS3Read) / n;
  const s3WritesPerPack = sum(perPack, isS3Write) / p;
  const s3ReadsPerPack = sum(perPack, isS3Read) / p;
  const kmsPerPack = sum(ops, (l) => l.startsWith('kms:')) / p;
  const ddbWritesPerMember = sum(ops, (l) => /^dynamodb:(PutItem|UpdateItem|DeleteItem)$/.test(l)) / n;
  const ddbReadsPerMember = sum(ops, (l) => /^dynamodb:(GetItem|Query|Scan)$/.test(l)) / n;
  lines.push(
    `measured (${num(n)} logs, ${p} packs): per ingest object ${s3WritesPerObject.toFixed(2)} S3 PUT-class + ${s3ReadsPerObject.toFixed(2)} GET-class requests of the pipeline; per pack ${s3WritesPerPack.toFixed(1)} PUT-class + ${s3ReadsPerPack.toFixed(1)} GET-class, ${kmsPerPack.toFixed(1)} KMS; per member ${ddbWritesPerMember.toFixed(2)} DynamoDB writes + ${ddbReadsPerMember.toFixed(2)} reads`,
  );

  const s3 = prices.s3;
  const write = (s3.writePer1000.STANDARD ?? 0) / 1000;
  const read = s3.readPer1000 / 1000;
  const cost: Record<string, number> = {};
  const add = (service: string, amount: number, how: string) => {
    cost[service] = (cost[service] ?? 0) + amount;
    lines.push(`${service}: ${how} = ${usd(amount)}`);
  };
  // The shipper's own PUT of each ingest object: all-in, not only the pipeline's.
  add(
    'S3 requests',
    objects * (1 + s3WritesPerObject) * write,
    `${num(objects)} objects × (1 shipper PUT + ${s3WritesPerObject.toFixed(2)}) × ${usd(write * 1000)}/1,000`,
  );
  add(
    'S3 requests',
    objects * s3ReadsPerObject * read,
    `${num(objects)} objects × ${s3ReadsPerObject.toFixed(2)} GET/HEAD × ${usd(read * 1000)}/1,000`,
  );
  add(
    'S3 requests',
    packs * (s3WritesPerPack * write + s3ReadsPerPack * read),
    `${num(packs)} packs × (${s3WritesPerPack.toFixed(1)} PUT-class × ${usd(write * 1000)} + ${s3ReadsPerPack.toFixed(1)} GET-class × ${usd(read * 1000)})/1,000`,
  );
  // The sweeper, once per pack at expiry: HEAD, the index region (2 ranged GETs), a DeleteObjects
  // (free), one LIST per 1,000 expiry entries. The ledger's items of the pack go by TTL (below).
  add(
    'S3 requests',
    packs * (3 * read + write / 1000),
    `sweep: ${num(packs)} packs × (3 GET-class × ${usd(read * 1000)} + 1/1,000 LIST × ${usd(write * 1000)})/1,000`,
  );
  const ia = s3.storageGbMonth.STANDARD_IA ?? 0;
  const standard = s3.storageGbMonth.STANDARD ?? 0;
  const gbMonths = archivedBytes / GB;
  add(
    'S3 storage',
    gbMonths * (standard + (f.keptMonths - 1) * ia),
    `${gbMonths.toFixed(1)} GB × (1 month STANDARD ${usd(standard)} + ${f.keptMonths - 1} months STANDARD_IA ${usd(ia)}) (policy standard: STANDARD_IA after 30 days; every pack ≥ 128 KiB, so it transitions)`,
  );
  add(
    'S3 storage',
    (packs * (s3.transitionPer1000.STANDARD_IA ?? 0)) / 1000,
    `${num(packs)} lifecycle transitions × ${usd(s3.transitionPer1000.STANDARD_IA ?? 0)}/1,000`,
  );
  add(
    'KMS',
    (packs * kmsPerPack * prices.kms.requestsPer10000) / 10_000 + f.customerKeys * prices.kms.keyMonth,
    `${num(packs)} packs × ${kmsPerPack.toFixed(1)} requests × ${usd(prices.kms.requestsPer10000)}/10,000 + ${f.customerKeys} keys × ${usd(prices.kms.keyMonth)}`,
  );
  // The member ledger (docs/archive-format.md). Per member, a claim: one PutItem, kept
  // CLAIM_TTL_DAYS and removed by TTL (free). Per ingest object, a pack entry: one PutItem, plus its
  // `bySource` index entry (the index projects every attribute), kept as long as the pack (plus
  // ENTRY_TTL_GRACE_DAYS) and removed by TTL; the sweeper deletes entries only of packs a hold kept
  // past that. Per pack, the attempt's writes, as measured. Stored bytes carry DynamoDB's 100 B
  // per item; point-in-time recovery bills the table's own bytes again, not the index's.
  const ddb = prices.dynamodb[tableClass];
  const wru = ddb.writeUnitsPerMillion / 1e6;
  const rru = ddb.readUnitsPerMillion / 1e6;
  const pitr = prices.dynamodbPitrGbMonth;
  const items = after.ledgerItems ?? {};
  const claimBytes = items.claim?.meanBytes ?? 200;
  const entryBytes = items.entry?.meanBytes ?? 300;
  const claimsMeasured = items.claim?.count ?? n;
  const entriesMeasured = items.entry?.count ?? n;
  const attemptWritesPerPack = Math.max(0, (ddbWritesPerMember * n - claimsMeasured - entriesMeasured) / p);
  const claimUnits = writeUnits(claimBytes);
  const entryUnits = 2 * writeUnits(entryBytes);
  add(
    'DynamoDB',
    members * claimUnits * wru + objects * entryUnits * wru + packs * attemptWritesPerPack * wru,
    `(${num(members)} member claims × ${claimUnits} WRU + ${num(objects)} pack entries × ${entryUnits} WRU (table + bySource index) + ${num(packs)} packs × ${attemptWritesPerPack.toFixed(1)} attempt writes) × ${usd(ddb.writeUnitsPerMillion)}/M (${tableClass}); measured: ${num(claimsMeasured)} claims and ${num(entriesMeasured)} entries for ${num(n)} logs`,
  );
  add(
    'DynamoDB',
    members * ddbReadsPerMember * rru,
    `${num(members)} members × ${ddbReadsPerMember.toFixed(2)} reads × ${usd(ddb.readUnitsPerMillion)}/M`,
  );
  const claimMonths = CLAIM_TTL_DAYS / f.daysPerMonth;
  const entryMonths = f.keptMonths + ENTRY_TTL_GRACE_DAYS / f.daysPerMonth;
  const claimStored = claimBytes + ITEM_STORAGE_OVERHEAD_BYTES;
  const entryStored = entryBytes + ITEM_STORAGE_OVERHEAD_BYTES;
  add(
    'DynamoDB',
    ((members * claimStored * claimMonths + objects * entryStored * entryMonths) / GB) *
      (ddb.storageGbMonth + pitr) +
      ((objects * entryStored * entryMonths) / GB) * ddb.storageGbMonth,
    `(${num(members)} claims × ${claimStored.toFixed(0)} B × ${claimMonths.toFixed(1)} months + ${num(objects)} entries × ${entryStored.toFixed(0)} B × ${entryMonths.toFixed(1)} months) × (${usd(ddb.storageGbMonth)} ${tableClass} + ${usd(pitr)} point-in-time recovery)/GB-month + the entries' index copies × ${usd(ddb.storageGbMonth)}/GB-month (items measured, each + ${ITEM_STORAGE_OVERHEAD_BYTES} B)`,
  );
  // SQS: S3's notification, the ingest function's receive and delete (10 a call), its forward to
  // the archive queue (10 a call), the archive function's receive and delete (10 a call).
  const sqsPerObject = 1 + 2 / f.ingestBatch + 1 / 10 + 2 / f.perReceive;
  add(
    'SQS',
    (objects * sqsPerObject * prices.sqs.requestsPerMillion) / 1e6,
    `${num(objects)} objects × ${sqsPerObject.toFixed(2)} requests (notification 1, ingest receive+delete 2/${f.ingestBatch}, forward 1/10, archive receive+delete 2/${f.perReceive}) × ${usd(prices.sqs.requestsPerMillion)}/M`,
  );
  const ingestUse = after.functions.IngestLambdaFunction;
  const archiveUse = after.functions.ArchiveLambdaFunction;
  const gbs = (u: typeof ingestUse) => (u ? (u.ms / 1000) * (u.memoryMb / 1024) : 0);
  const gbsPerObject = (gbs(ingestUse) + gbs(archiveUse)) / n;
  const invocations = objects / f.ingestBatch + packs;
  add(
    'Lambda',
    (invocations * prices.lambda.requestsPerMillion) / 1e6 +
      objects * gbsPerObject * prices.lambda.gbSecond.arm64,
    `(${num(objects)}/${f.ingestBatch} ingest + ${num(packs)} archive invocations) × ${usd(prices.lambda.requestsPerMillion)}/M + ${num(objects)} objects × ${gbsPerObject.toFixed(4)} GB-s (measured locally, ingest + archive) × ${prices.lambda.gbSecond.arm64}/GB-s arm64`,
  );
  const total = Object.values(cost).reduce((a, b) => a + b, 0);
  const perMillion = total / (logs / 1e6);
  lines.push(
    `total ${usd(total)}/month ÷ ${(logs / 1e6).toFixed(1)} M logs = ${usd(perMillion)} per million logs`,
  );
  return {
    usdPerMonth: total,
    usdPerMillionLogs: perMillion,
    logsPerMonth: logs,
    packBytes,
    bytesShareAtLeast128KiB: packBytes >= SMALL ? 1 : 0,
    byService: cost,
    lines,
  };
}
