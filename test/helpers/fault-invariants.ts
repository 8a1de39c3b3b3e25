import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMS } from '@aws-sdk/client-kms';
import {
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { pollUntil } from '#local/poll.ts';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { listArchives } from '#shared/archive/list.ts';
import { getMember } from '#shared/archive/member-ledger.ts';
import { fromS3Metadata } from '#shared/archive/metadata.ts';
import { decodeArchive } from '#shared/archive/open-archive.ts';
import { PACK_PREFIX } from '#shared/archive/pack-format.ts';
import { type PackIndex, readPackIndex, readPackMember } from '#shared/archive/pack-reader.ts';
import { listKeys, listObjectVersions } from '#shared/clients/s3-list.ts';
import { memberId } from '#shared/segments/identity.ts';
import { queueDepth } from './archive.ts';
import { type DeadLetter, readDeadLetters } from './dead-letters.ts';
import type { FaultProxy } from './fault-proxy.ts';

/** Clients that talk to the emulator directly, past the fault proxy: the test's own view of the truth. */
export function directClients(endpoint: string) {
  const common = {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  return {
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sqs: new SQSClient(common),
    kms: new KMS(common),
    ddb: DynamoDBDocumentClient.from(new DynamoDBClient(common)),
  };
}
export type DirectClients = ReturnType<typeof directClients>;

/** Puts logs into the ingest bucket, directly: what was shipped is known exactly. */
export async function shipLogs(
  c: DirectClients,
  bucket: string,
  files: Record<string, Buffer>,
): Promise<Map<string, Buffer>> {
  for (const [key, body] of Object.entries(files)) {
    await c.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  return new Map(Object.entries(files));
}

/** Waits until the queues are empty, visible and in flight, on a few reads in a row. */
export async function drained(c: DirectClients, queueUrls: string[], timeoutMs = 240_000): Promise<void> {
  let quiet = 0;
  await pollUntil(
    async () => {
      const depth = (await Promise.all(queueUrls.map((u) => queueDepth(c.sqs, u)))).reduce((a, b) => a + b);
      quiet = depth === 0 ? quiet + 1 : 0;
      return quiet >= 3 ? true : undefined;
    },
    'the queues to drain',
    timeoutMs,
    1000,
  );
}

/** Every message in the dead-letter queues, all of them, left in place so later reads see them again. */
export async function deadLetters(c: DirectClients, queueUrls: string[]): Promise<DeadLetter[]> {
  return readDeadLetters(c.sqs, queueUrls);
}

export interface Outcome {
  readonly shipped: number;
  readonly restorable: number;
  /** Source keys stored more than once (v1 archives and pack members alike). */
  readonly duplicates: number;
  /** Archive objects that fail to decode to their source's digest. */
  readonly partial: number;
  readonly openUploads: number;
  /** Sources gone from the ingest bucket with no restorable archive. */
  readonly deletedUnverified: number;
  /** Shipped logs neither restorable nor still in the ingest bucket. */
  readonly lost: number;
  /** Shipped logs not restorable whose notification or job is not in a dead-letter queue either. */
  readonly unaccounted: number;
  /** Shipped logs whose notification or job is in a dead-letter queue: never restorable without an operator. */
  readonly deadLettered: number;
  readonly deadLetters: DeadLetter[];
  readonly problems: string[];
}

export async function sourceExists(c: DirectClients, bucket: string, key: string): Promise<boolean> {
  try {
    await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch {
    return false;
  }
}

/** Multipart uploads still open in these buckets. */
export async function openUploads(c: DirectClients, buckets: string[]): Promise<number> {
  let n = 0;
  for (const Bucket of buckets) {
    n += (await c.s3.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads?.length ?? 0;
  }
  return n;
}

/** One stored copy of a shipped log: a v1 archive of its own, or a member of a pack. */
interface StoredCopy {
  readonly where: string;
  restore(): Promise<Buffer>;
}

/**
 * Where each shipped log is stored, by ingest key: its v1 archives (found by listing, as before
 * packs), and the packs whose index lists it as a member (every pack's index is read).
 */
async function storedCopies(
  c: DirectClients,
  bucket: string,
  keyring: ReturnType<typeof archiveKeyring>,
  deps: Parameters<typeof decodeArchive>[0],
): Promise<{ byKey: Map<string, StoredCopy[]>; packs: Map<string, PackIndex> }> {
  const byKey = new Map<string, StoredCopy[]>();
  const add = (key: string, copy: StoredCopy) => byKey.set(key, [...(byKey.get(key) ?? []), copy]);
  for await (const e of listArchives(c.s3, bucket)) {
    const head = await c.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: e.archiveKey }));
    const source = fromS3Metadata(head.Metadata)?.sourceKey ?? `?${e.archiveKey}`;
    add(source, {
      where: e.archiveKey,
      async restore() {
        const chunks: Buffer[] = [];
        const sink = new Writable({
          write: (chunk: Buffer, _e, done) => {
            chunks.push(chunk);
            done();
          },
        });
        await decodeArchive(deps, e.archiveKey, sink);
        return Buffer.concat(chunks);
      },
    });
  }
  const packs = new Map<string, PackIndex>();
  for (const key of await listKeys(c.s3, bucket, PACK_PREFIX)) {
    const index = await readPackIndex(c.s3, bucket, key);
    packs.set(key, index);
    for (const m of index.members)
      if (m.kind === 'object')
        add(m.key, {
          where: `${key}#${m.id}`,
          restore: async () => (await readPackMember({ s3: c.s3, bucket, keyring }, index, m.id)).bytes,
        });
  }
  return { byKey, packs };
}

/**
 * Where a shipped log is stored: its v1 archives and the packs that list it (`<pack key>#<member
 * id>`). One entry means one stored copy, whichever layout holds it.
 */
export async function copiesOf(
  c: DirectClients,
  outputs: Record<string, string>,
  key: string,
): Promise<string[]> {
  const bucket = outputs.ArchiveBucketName as string;
  const keyring = archiveKeyring(outputs.ArchiveKeyArn as string, c.kms);
  const deps = { s3: c.s3, keyring, bucket, ingestBucket: outputs.IngestBucketName as string };
  const { byKey } = await storedCopies(c, bucket, keyring, deps);
  return (byKey.get(key) ?? []).map((copy) => copy.where);
}

/** Checks every invariant the pipeline promises, from the emulator's state. */
export async function assess(
  c: DirectClients,
  outputs: Record<string, string>,
  shipped: Map<string, Buffer>,
): Promise<Outcome> {
  const ingest = outputs.IngestBucketName as string;
  const bucket = outputs.ArchiveBucketName as string;
  const keyring = archiveKeyring(outputs.ArchiveKeyArn as string, c.kms);
  const deps = { s3: c.s3, keyring, bucket, ingestBucket: ingest };
  const ledger = { ddb: c.ddb, table: outputs.MembersTableName as string, packs: { s3: c.s3, bucket } };
  const problems: string[] = [];
  const { byKey, packs } = await storedCopies(c, bucket, keyring, deps);
  let restorable = 0;
  let partial = 0;
  let deletedUnverified = 0;
  let lost = 0;
  for (const [key, content] of shipped) {
    const copies = byKey.get(key) ?? [];
    let ok = false;
    for (const copy of copies) {
      try {
        if ((await copy.restore()).equals(content)) ok = true;
        else problems.push(`${copy.where} restores to other bytes than ${key}`);
      } catch (error) {
        partial += 1;
        problems.push(`${copy.where} does not restore: ${(error as Error).message}`);
      }
    }
    // A packed log is found through the read API: the ledger names the pack that holds it.
    const packed = copies.filter((copy) => copy.where.startsWith(PACK_PREFIX));
    if (packed.length > 0) {
      const id = memberId({
        kind: 'object',
        bucket: ingest,
        key,
        sha256: createHash('sha256').update(content).digest('hex'),
      });
      const item = await getMember(ledger, id);
      if (!item || !packed.some((copy) => copy.where === `${item.archive}#${id}`) || !packs.has(item.archive))
        problems.push(
          `${key}: the ledger does not name the pack that holds it (${item?.archive ?? 'no item'})`,
        );
    }
    if (ok) restorable += 1;
    const present = await sourceExists(c, ingest, key);
    if (!ok && !present) {
      deletedUnverified += 1;
      lost += 1;
      problems.push(`${key}: source deleted, no restorable archive`);
    }
  }
  const dlqs = Object.entries(outputs)
    .filter(([name]) => name.endsWith('DeadLetterQueueUrl'))
    .map(([, url]) => url);
  const letters = await deadLetters(c, dlqs);
  // S3 events carry the key form-encoded; archive jobs carry it as JSON.
  const mentions = (key: string) =>
    letters.some(
      (l) =>
        l.body.includes(JSON.stringify(key)) || l.body.includes(encodeURIComponent(key).replace(/%20/g, '+')),
    );
  let unaccounted = 0;
  let deadLettered = 0;
  for (const key of shipped.keys()) {
    const archived = (byKey.get(key) ?? []).length > 0;
    if (mentions(key)) {
      deadLettered += 1;
      problems.push(`${key}: dead-lettered${archived ? ' (though also archived)' : ''}`);
    } else if (!archived) {
      unaccounted += 1;
      problems.push(`${key}: neither archived nor dead-lettered`);
    }
  }
  const duplicates = [...byKey.values()].filter((copies) => copies.length > 1).length;
  for (const [source, copies] of byKey)
    if (copies.length > 1)
      problems.push(`${source}: ${copies.length} stored copies (${copies.map((x) => x.where).join(', ')})`);
  return {
    shipped: shipped.size,
    restorable,
    duplicates,
    partial,
    openUploads: await openUploads(c, [bucket, ingest]),
    deletedUnverified,
    lost,
    unaccounted,
    deadLettered,
    deadLetters: letters,
    problems,
  };
}

/** Ingest-bucket versions left behind (a source deleted by version leaves none). */
export async function ingestVersions(c: DirectClients, bucket: string, prefix: string): Promise<number> {
  const res = await listObjectVersions(c.s3, { Bucket: bucket, Prefix: prefix });
  return res.Versions?.length ?? 0;
}

export interface SummaryRow {
  readonly scenario: string;
  readonly seed: number;
  readonly faults: number;
  readonly delayed: number;
  readonly retried: number;
  readonly shipped: number;
  readonly restorable: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly deadLettered: number;
  /** Injected faults and delays by service:Operation (kept in the JSON, not the table). */
  readonly byOperation?: Record<string, number>;
}

export function summaryRow(scenario: string, proxy: FaultProxy, o: Outcome): SummaryRow {
  const s = proxy.stats();
  return {
    scenario,
    seed: proxy.seed,
    faults: s.injected,
    delayed: s.delayed,
    retried: s.redelivered,
    shipped: o.shipped,
    restorable: o.restorable,
    duplicates: o.duplicates,
    lost: o.lost,
    deadLettered: o.deadLetters.length,
    byOperation: s.byOperation,
  };
}

const summaryDir = resolve(import.meta.dirname, '..', '..', '.logvault', 'fault-summary');

/**
 * Prints the scenario's figures as a table on stderr (vitest hides console output of passing
 * tests) and keeps them under .logvault/fault-summary/ for CI to show.
 */
export function reportSummary(
  file: string,
  rows: SummaryRow[],
  detail: Record<string, unknown> = {},
): string {
  const header =
    '| scenario | seed | faults injected | calls delayed | messages retried | logs shipped | logs restorable | duplicates | data lost | dead-lettered |';
  const lines = [
    header,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.seed} | ${r.faults} | ${r.delayed} | ${r.retried} | ${r.shipped} | ${r.restorable} | ${r.duplicates} | ${r.lost} | ${r.deadLettered} |`,
    ),
  ];
  const text = `${lines.join('\n')}\n`;
  mkdirSync(summaryDir, { recursive: true });
  writeFileSync(join(summaryDir, `${file}.md`), text);
  writeFileSync(join(summaryDir, `${file}.json`), `${JSON.stringify({ rows, detail }, null, 2)}\n`);
  process.stderr.write(`\nfault injection: ${file}\n${text}`);
  return text;
}

/**
 * Every invariant of a fault scenario after the queues drained: every shipped log restorable, and
 * nothing lost, duplicated, partial, left open, deleted unverified or unaccounted for. A log whose
 * notification or job sits in a dead-letter queue breaks it too: faults are transient, and the
 * pipeline must ride them out, not park the log for an operator.
 */
export function expectNothingLost(outcome: Outcome): void {
  expect(outcome.problems).toEqual([]);
  expect(outcome.lost).toBe(0);
  expect(outcome.duplicates).toBe(0);
  expect(outcome.partial).toBe(0);
  expect(outcome.openUploads).toBe(0);
  expect(outcome.deletedUnverified).toBe(0);
  expect(outcome.unaccounted).toBe(0);
  expect(outcome.deadLettered).toBe(0);
  expect(outcome.restorable).toBe(outcome.shipped);
}
