import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { humanBytes } from '#cli/output.ts';
import type { LocalCloud } from '#local/cloud.ts';
import { listArchives } from '#shared/archive/list.ts';
import { type LedgerDeps, membersOfSource } from '#shared/archive/member-ledger.ts';
import { createDocumentClient } from '#shared/clients/aws.ts';
import { listPacks } from '#shared/logs/list-packs.ts';
import { setLegalHold } from '#shared/sweep/legal-hold.ts';
import { runSweep } from '#shared/sweep/run.ts';

const DAY = 86_400_000;
// Three policies: debug (7 days), instances (30 days), standard (the default, 90 days).
const DEMO_KEYS = ['debug-app', 'i-0d3m0c0ffee', 'web'].flatMap((source) =>
  [1, 2].map((n) => `${source}/sweep-demo-${n}.log`),
);

/** The archive holding each demo log, as the member ledger records it (small logs are packed). */
async function archivesOfDemoKeys(ledger: LedgerDeps): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const source of new Set(DEMO_KEYS.map((k) => k.slice(0, k.indexOf('/')))))
    for await (const m of membersOfSource(ledger, source))
      if (m.kind === 'object' && DEMO_KEYS.includes(m.key)) found.set(m.key, m.archive);
  return found;
}

async function archiveKeysOf(s3: S3Client, bucket: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const e of listArchives(s3, bucket)) keys.add(e.archiveKey);
  for (const p of await listPacks({ s3, bucket }, {})) keys.add(p.archiveKey);
  return keys;
}

/**
 * Archives six logs under three policies through the real pipeline (packed: one pack per policy),
 * puts a legal hold on the pack of one that will have expired, then sweeps 40 days ahead: first a
 * dry run, then for real. Note: the sweeper records the run's clock, so real-clock sweeps after
 * this refuse until that time has passed.
 */
export async function sweepDemo(
  cloud: LocalCloud,
  say: (line: string) => void,
): Promise<Record<string, unknown>> {
  const s3 = new S3Client({ forcePathStyle: true });
  const ingest = cloud.outputs.IngestBucketName as string;
  const bucket = cloud.outputs.ArchiveBucketName as string;
  for (const key of DEMO_KEYS) {
    await s3.send(new PutObjectCommand({ Bucket: ingest, Key: key, Body: `demo log ${key}\n`.repeat(50) }));
  }
  say(`sweep: shipped ${DEMO_KEYS.length} logs (debug-app 7 d, i-… 30 d, web 90 d); waiting for archives…`);
  const ledger = { ddb: createDocumentClient(), table: cloud.outputs.MembersTableName as string };
  const deadline = Date.now() + 120_000;
  let archives = new Map<string, string>();
  while (Date.now() < deadline) {
    archives = await archivesOfDemoKeys(ledger);
    if (archives.size === DEMO_KEYS.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  if (archives.size !== DEMO_KEYS.length) throw new Error(`sweep demo: only ${archives.size} logs archived`);
  const ours = [...new Set(archives.values())];
  say(`sweep: archived in ${ours.length} archive(s) (small logs are packed, one pack per policy)`);

  // A hold on the pack holding a debug log (7 days) keeps it, and every log in it, past its expiry.
  const held = archives.get('debug-app/sweep-demo-1.log') as string;
  await setLegalHold(s3, bucket, held, true);
  say(`sweep: legal hold on ${held}`);

  const now = new Date(Date.now() + 40 * DAY);
  const dry = await runSweep({ s3, bucket, ledger, now, dryRun: true });
  say(
    `sweep: dry run at ${now.toISOString().slice(0, 10)} would delete ${dry.wouldDelete}, freeing ${humanBytes(dry.bytesWouldFree)}:`,
  );
  for (const k of dry.wouldDeleteKeys) say(`  would delete ${k}`);

  const real = await runSweep({ s3, bucket, ledger, now });
  for (const k of real.deletedKeys) say(`  deleted ${k}`);
  for (const k of real.keptKeys) say(`  kept (${k.reason}) ${k.archiveKey}`);
  say(
    `sweep: scanned ${real.scanned}, expired ${real.expired}, deleted ${real.deleted}, ` +
      `held ${real.skipped.held}, locked ${real.skipped.locked}, failed ${real.failed}, freed ${humanBytes(real.bytesFreed)}`,
  );
  const left = await archiveKeysOf(s3, bucket);
  return {
    now: now.toISOString(),
    held,
    wouldDelete: dry.wouldDeleteKeys,
    deleted: real.deletedKeys,
    kept: real.keptKeys,
    demoArchivesLeft: ours.filter((k) => left.has(k)),
    report: { ...real, deletedKeys: real.deletedKeys.length, keptKeys: real.keptKeys.length },
  };
}
