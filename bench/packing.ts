import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_PACK_THRESHOLD_BYTES } from '#shared/archive/pack-limits.ts';
import { type DynamoTableClass, pricesFor, priceTable } from '#shared/cost/prices.ts';
import { type CostModel, isS3Free, isS3Read, isS3Write, modelCost } from './cost-model.ts';
import { membersTableClass, projectRoot, work } from './measure.ts';
import type { PackingRunOptions, PackingRunResult } from './packing-run.ts';

/**
 * Section `bundles`: what packing small logs saves. Small logs (10 KiB each) go through the local
 * cloud twice: 250 with a pack threshold of 0 (every log its own v1 archive, as before packs;
 * counts scaled to 1,000) and 1,000 with the default; every call the pipeline makes is counted on
 * the wire.
 */
export interface PackingResult {
  readonly logs: number;
  readonly logBytes: number;
  readonly before: PackingRunResult;
  readonly after: PackingRunResult;
  /** Requests per 1,000 small logs, by service and operation class. */
  readonly per1000: { readonly before: Record<string, number>; readonly after: Record<string, number> };
  /** Modelled with the member table's class as deployed, by region. */
  readonly models: Record<string, CostModel>;
  readonly tableClass?: DynamoTableClass;
  /** The us-east-1 figure with the member table in the other class. */
  readonly otherClass?: { tableClass: DynamoTableClass; usdPerMillionLogs: number; region: string };
}

/** The JSON keys the report's targets read. */
export interface CostFigures {
  readonly usdPerMillionLogs: number;
  readonly archiveObjectsPer1000Small: number;
  readonly kmsCallsPer1000Small: number;
  readonly region: string;
  readonly pricesRetrieved: string;
}

const LOGS = 1_000;
/**
 * Logs of the run without packing: each is its own archive, so every count is linear in them and
 * is scaled to 1,000; fewer keep the slowest run of the section short.
 */
const LOGS_ALONE = 250;
const LOG_BYTES = 10 * 1024;

/**
 * The archive trigger's batching window as deployed (serverless.yml `params.default`): the after
 * run is measured at it, not at the local stage's 5 s, so its batches are the ones AWS would form.
 */
export function deployedArchiveWindowSeconds(
  yml = readFileSync(join(projectRoot, 'serverless.yml'), 'utf8'),
): number {
  const defaults = /^params:\n {2}default:\n((?: {4}.*\n)+)/m.exec(yml)?.[1] ?? '';
  const value = /^ {4}archiveBatchWindow: (\d+)$/m.exec(defaults)?.[1];
  if (value === undefined) throw new Error('serverless.yml: no params.default.archiveBatchWindow');
  return Number(value);
}

function run(opts: PackingRunOptions, log: (line: string) => void): PackingRunResult {
  const out = join(work, `packing-${opts.threshold}.json`);
  log(`  ${opts.count} logs of ${opts.bytes / 1024} KiB, pack threshold ${opts.threshold}…`);
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', join(projectRoot, 'bench/packing-run.ts'), JSON.stringify(opts), out],
    { cwd: projectRoot, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (r.status !== 0) throw new Error(`bench/packing-run.ts failed (exit ${r.status})`);
  return JSON.parse(readFileSync(out, 'utf8')) as PackingRunResult;
}

/** Requests per 1,000 logs, by service and the operation classes S3 bills apart. */
export function per1000(r: PackingRunResult): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, v: number) => {
    out[k] = (out[k] ?? 0) + (v * 1000) / r.count;
  };
  for (const [label, v] of Object.entries(r.byOperation)) {
    if (isS3Write(label)) add('S3 PUT/COPY/POST/LIST', v);
    else if (isS3Free(label)) add('S3 DELETE (and aborts)', v);
    else if (isS3Read(label)) add('S3 GET/HEAD', v);
    else if (label === 'sqs:ReceiveMessage' || label === 'sqs:GetQueueAttributes')
      add('SQS polling (local pollers, idle polls included)', v);
    else add(label.split(':')[0]?.toUpperCase() ?? label, v);
    add(label, v);
  }
  for (const [fn, use] of Object.entries(r.functions))
    if (use.invocations > 0) add(`Lambda invocations: ${fn.replace(/LambdaFunction$/, '')}`, use.invocations);
  return out;
}

export async function benchPacking(opts: { log: (line: string) => void }): Promise<{
  packing: PackingResult;
  cost: CostFigures;
}> {
  const before = run({ threshold: 0, count: LOGS_ALONE, bytes: LOG_BYTES, onePack: 0 }, opts.log);
  const after = run(
    {
      threshold: DEFAULT_PACK_THRESHOLD_BYTES,
      count: LOGS,
      bytes: LOG_BYTES,
      onePack: 1_000,
      windowSeconds: deployedArchiveWindowSeconds(),
    },
    opts.log,
  );
  const tableClass = await membersTableClass();
  const models = Object.fromEntries(
    Object.keys(priceTable.regions).map((region) => [
      region,
      modelCost(after, pricesFor(region), tableClass),
    ]),
  );
  // The same run priced with the ledger in the other class, to show what the template's choice saves.
  const otherClass = tableClass === 'STANDARD' ? 'STANDARD_INFREQUENT_ACCESS' : 'STANDARD';
  const other = modelCost(after, pricesFor('us-east-1'), otherClass);
  const home = models['us-east-1'] as CostModel;
  for (const line of home.lines) opts.log(`  ${line}`);
  const kms = (r: PackingRunResult) =>
    Object.entries(r.byOperation)
      .filter(([l]) => l.startsWith('kms:'))
      .reduce((n, [, v]) => n + v, 0);
  return {
    packing: {
      logs: LOGS,
      logBytes: LOG_BYTES,
      before,
      after,
      per1000: { before: per1000(before), after: per1000(after) },
      models,
      tableClass,
      otherClass: { tableClass: otherClass, usdPerMillionLogs: other.usdPerMillionLogs, region: 'us-east-1' },
    },
    cost: {
      usdPerMillionLogs: home.usdPerMillionLogs,
      archiveObjectsPer1000Small: (after.archiveObjects * 1000) / after.count,
      kmsCallsPer1000Small: (kms(after) * 1000) / after.count,
      region: 'us-east-1',
      pricesRetrieved: priceTable.retrieved,
    },
  };
}
