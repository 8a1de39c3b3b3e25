/**
 * One run of the `bundles` section, in a process of its own (each run loads the functions with its
 * own pack threshold, which the handlers read once, at import): `count` small logs uploaded to a
 * fresh local cloud whose functions reach the emulator through a counting proxy, timed from upload
 * to archived; then, if asked, one pack of `onePack` members and one member restored from it.
 *
 *   node --import tsx bench/packing-run.ts '<json options>' <result file>
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMS } from '@aws-sdk/client-kms';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { startLocalCloud } from '#local/cloud.ts';
import { startMoto } from '#local/moto.ts';
import { pollUntil } from '#local/poll.ts';
import { logText } from '#local/sample-logs.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { parseArchiveKey } from '#shared/archive/layout.ts';
import { type LedgerItemKind, ledgerItemKind, rawLedgerItems } from '#shared/archive/member-ledger.ts';
import { PACK_PREFIX } from '#shared/archive/pack-format.ts';
import { type PackIndex, readPackIndex, readPackMember } from '#shared/archive/pack-reader.ts';
import { listKeys } from '#shared/clients/s3-list.ts';
import { dynamoItemBytes } from '#shared/cost/dynamodb-item-size.ts';
import { mapLimit } from '#shared/map-limit.ts';
import { queueDepth } from '../test/helpers/archive.ts';
import { startFaultProxy } from '../test/helpers/fault-proxy.ts';
import { pauseNotifications } from '../test/helpers/notifications.ts';
import { archiveJobEvent } from '../test/helpers/packs.ts';
import { percentile } from './measure.ts';

export interface PackingRunOptions {
  /** PACK_THRESHOLD_BYTES for the archive function: 0 archives every log alone. */
  readonly threshold: number;
  readonly count: number;
  readonly bytes: number;
  /** Members of the one pack a single member is restored from (0: skip). */
  readonly onePack: number;
  /** The archive trigger's batching window, seconds (default: the local stage's). */
  readonly windowSeconds?: number;
}

export interface FunctionUse {
  readonly invocations: number;
  readonly ms: number;
  readonly memoryMb: number;
}

export interface PackingRunResult {
  readonly threshold: number;
  readonly count: number;
  readonly bytes: number;
  /** The archive trigger's batching window the run had, seconds. */
  readonly windowSeconds: number;
  /** Calls the functions (and the local Lambda pollers) made, by `service:Operation`. */
  readonly byOperation: Record<string, number>;
  /** The same calls, split by whether their S3 key is a pack's or an expiry index entry's. */
  readonly perArchiveOps: Record<string, number>;
  readonly functions: Record<string, FunctionUse>;
  readonly archiveObjects: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Sizes of the archive objects written, bytes. */
  readonly archiveSizes: number[];
  readonly latencyMs: { readonly p50: number; readonly p95: number; readonly max: number };
  /** The member ledger after the run: items of each kind, and their mean size as DynamoDB bills it. */
  readonly ledgerItems?: Partial<
    Record<LedgerItemKind, { readonly count: number; readonly meanBytes: number }>
  >;
  readonly onePack?: {
    readonly members: number;
    readonly objectSize: number;
    /** Of which the trailer and the index region. */
    readonly indexBytes: number;
    readonly bytesFetched: number;
    readonly verified: boolean;
  };
}

const [json, resultFile] = process.argv.slice(2);
if (!json || !resultFile) throw new Error('usage: packing-run.ts <json options> <result file>');
const opts = JSON.parse(json) as PackingRunOptions;
const region = 'us-east-1';
const ARCHIVE_FUNCTION = 'ArchiveLambdaFunction';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A sample log of exactly `bytes` bytes. */
function sampleLog(bytes: number, seed: number): Buffer {
  let text = logText(Math.ceil(bytes / 60) + 10, seed);
  while (Buffer.byteLength(text) < bytes) text += logText(50, seed + 1);
  return Buffer.from(text).subarray(0, bytes);
}

const moto = await startMoto({ quiet: true });
const proxy = await startFaultProxy(moto.endpoint, 1);
const cloud = await startLocalCloud({
  endpoint: proxy.endpoint,
  env: {
    PACK_THRESHOLD_BYTES: String(opts.threshold),
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
  },
  // LOGVAULT_BENCH_TRACE=1 prints each batch the local triggers hand a function.
  ...(process.env.LOGVAULT_BENCH_TRACE ? { onEvent: (line: string) => console.error(`  ${line}`) } : {}),
  ...(opts.windowSeconds === undefined
    ? {}
    : { batchingWindowSeconds: { [ARCHIVE_FUNCTION]: opts.windowSeconds } }),
});
const archiveTrigger = cloud.functions.queues.find((q) => q.fn.logicalId === ARCHIVE_FUNCTION);
const windowSeconds = opts.windowSeconds ?? archiveTrigger?.batchingWindowSeconds ?? 0;
try {
  const functions: Record<string, { invocations: number; ms: number; memoryMb: number }> = {};
  for (const fn of cloud.functions.functions) {
    const use = { invocations: 0, ms: 0, memoryMb: fn.memoryMb };
    functions[fn.logicalId] = use;
    const invoke = fn.invoke.bind(fn);
    // Counted where the local cloud's triggers call it, as Lambda would bill it.
    (fn as { invoke: typeof fn.invoke }).invoke = async (event, o) => {
      const t = performance.now();
      try {
        return await invoke(event, o);
      } finally {
        use.invocations += 1;
        use.ms += performance.now() - t;
      }
    };
  }
  // The test's own calls go to the emulator directly: only the pipeline's pass the proxy.
  const direct = { endpoint: moto.endpoint, region, credentials };
  const s3 = new S3Client({ ...direct, forcePathStyle: true });
  const sqs = new SQSClient(direct);
  const ingest = cloud.outputs.IngestBucketName as string;
  const archive = cloud.outputs.ArchiveBucketName as string;
  const archiveQueue = cloud.outputs.ArchiveQueueUrl as string;
  const logs = Array.from({ length: opts.count }, (_, i) => ({
    key: `web/app/${i}.log`,
    body: sampleLog(opts.bytes, i + 1),
  }));

  proxy.resetStats();
  const uploaded = new Map<string, number>();
  const archivedAt = new Map<string, number>();
  const indexes = new Map<string, PackIndex>();
  const v1 = new Set<string>();
  const look = async () => {
    if (opts.threshold === 0) {
      for (const key of await listKeys(s3, archive, 'archive/web/')) {
        if (v1.has(key)) continue;
        v1.add(key);
        const parsed = parseArchiveKey(key);
        if (parsed) archivedAt.set(`web/${parsed.relative}`, Date.now());
      }
    } else {
      for (const key of await listKeys(s3, archive, PACK_PREFIX)) {
        if (indexes.has(key)) continue;
        const index = await readPackIndex(s3, archive, key);
        indexes.set(key, index);
        for (const m of index.members) if (m.kind === 'object') archivedAt.set(m.key, Date.now());
      }
    }
  };
  let uploading = true;
  const watcher = (async () => {
    while (uploading || archivedAt.size < opts.count) {
      await look();
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  await mapLimit(logs, 16, async (log) => {
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: log.key, Body: log.body }));
    uploaded.set(log.key, Date.now());
  });
  uploading = false;
  await Promise.race([
    watcher,
    new Promise((_, fail) =>
      setTimeout(() => fail(new Error('logs not archived within 15 minutes')), 900_000),
    ),
  ]);
  // Done once every source is deleted and no archive job is left in flight.
  await pollUntil(
    async () => (await listKeys(s3, ingest, 'web/')).length === 0 || undefined,
    'sources deleted',
    300_000,
  );
  // A job delivered again (at least once, as SQS promises) waits out a window of its own.
  await pollUntil(
    async () => (await queueDepth(sqs, archiveQueue)) === 0 || undefined,
    'archive queue drained',
    (windowSeconds + 300) * 1000,
  );
  const byOperation: Record<string, number> = {};
  const perArchiveOps: Record<string, number> = {};
  for (const op of proxy.seen) {
    const label = `${op.service}:${op.name}`;
    byOperation[label] = (byOperation[label] ?? 0) + 1;
    if (op.key?.startsWith(PACK_PREFIX) || op.key?.startsWith('expiry/'))
      perArchiveOps[label] = (perArchiveOps[label] ?? 0) + 1;
  }
  const latencies = [...archivedAt].map(([key, at]) => at - (uploaded.get(key) ?? at));
  const packs = [...indexes.values()];
  let ledgerItems: PackingRunResult['ledgerItems'];
  if (opts.threshold > 0) {
    const ddb = DynamoDBDocumentClient.from(new DynamoDBClient(direct));
    ledgerItems = await measureLedgerItems({ ddb, table: cloud.outputs.MembersTableName as string });
  }
  const archiveSizes =
    opts.threshold === 0
      ? await Promise.all(
          [...v1].map(async (key) => {
            const { ContentLength = 0 } = await s3.send(new HeadObjectCommand({ Bucket: archive, Key: key }));
            return ContentLength;
          }),
        )
      : packs.map((p) => p.objectSize);

  let onePack: PackingRunResult['onePack'];
  if (opts.onePack > 0) {
    const resume = await pauseNotifications(s3, ingest);
    const members = Array.from({ length: opts.onePack }, (_, i) => ({
      key: `web/one/${i}.log`,
      body: sampleLog(opts.bytes, 10_000 + i),
    }));
    await mapLimit(members, 16, async (m) => {
      await s3.send(new PutObjectCommand({ Bucket: ingest, Key: m.key, Body: m.body }));
    });
    const fn = cloud.functions.functions.find((f) => f.logicalId === ARCHIVE_FUNCTION);
    const before = new Set(await listKeys(s3, archive, PACK_PREFIX));
    await fn?.invoke(
      archiveJobEvent(
        ingest,
        members.map((m) => m.key),
      ),
    );
    const [key] = (await listKeys(s3, archive, PACK_PREFIX)).filter((k) => !before.has(k));
    if (!key) throw new Error('no pack for the one-pack run');
    const index = await readPackIndex(s3, archive, key);
    const target = members[Math.floor(members.length / 2)] as { key: string; body: Buffer };
    const member = index.members.find((m) => m.kind === 'object' && m.key === target.key);
    if (!member) throw new Error(`${key} does not list ${target.key}`);
    const keyring = archiveKeyring(cloud.outputs.ArchiveKeyArn as string, new KMS(direct));
    const read = await readPackMember({ s3, bucket: archive, keyring }, index, member.id);
    onePack = {
      members: index.members.length,
      objectSize: index.objectSize,
      indexBytes: index.bytesFetched,
      bytesFetched: read.bytesFetched,
      verified:
        read.bytes.equals(target.body) &&
        createHash('sha256').update(read.bytes).digest('hex') === member.sha256,
    };
    await resume();
  }

  const result: PackingRunResult = {
    threshold: opts.threshold,
    count: opts.count,
    bytes: opts.bytes,
    windowSeconds,
    byOperation,
    perArchiveOps,
    functions,
    archiveObjects: opts.threshold === 0 ? v1.size : packs.length,
    bytesIn: opts.count * opts.bytes,
    bytesOut: archiveSizes.reduce((a, b) => a + b, 0),
    archiveSizes,
    latencyMs: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      max: Math.max(...latencies),
    },
    ...(ledgerItems ? { ledgerItems } : {}),
    ...(onePack ? { onePack } : {}),
  };
  writeFileSync(resultFile, JSON.stringify(result));
} finally {
  await cloud.stop();
  await proxy.stop();
  await moto.stop();
}
// SDK keep-alive sockets and the proxy's would keep the process alive; the parent waits for its exit.
process.exit(0);

/** Counts the ledger's items by kind, and their mean billed size. */
async function measureLedgerItems(ledger: {
  ddb: DynamoDBDocumentClient;
  table: string;
}): Promise<NonNullable<PackingRunResult['ledgerItems']>> {
  const totals = new Map<LedgerItemKind, { count: number; bytes: number }>();
  for await (const raw of rawLedgerItems(ledger)) {
    const kind = ledgerItemKind(raw);
    const t = totals.get(kind) ?? { count: 0, bytes: 0 };
    t.count += 1;
    t.bytes += dynamoItemBytes(raw);
    totals.set(kind, t);
  }
  return Object.fromEntries(
    [...totals].map(([kind, t]) => [kind, { count: t.count, meanBytes: t.bytes / t.count }]),
  );
}
