import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { startLocalCloud } from '#local/cloud.ts';
import { describeArchive, listArchives } from '#shared/archive/list.ts';
import { shipFile } from '#shared/ingest/ship.ts';
import { MB, MiB, percentile, work } from './measure.ts';

export interface E2EBatch {
  readonly objects: number;
  readonly objectBytes: number;
  readonly archived: number;
  readonly seconds: number;
  readonly objectsPerS: number;
  readonly mbPerS: number;
  readonly latencyP50Ms: number;
  readonly latencyP95Ms: number;
}

export interface EmulatorReference {
  readonly putSmallPerS: number;
  readonly getSmallPerS: number;
  readonly putLargeMbPerS: number;
  readonly getLargeMbPerS: number;
}

export interface E2EResult {
  readonly small: E2EBatch;
  readonly large: E2EBatch;
  readonly emulator: EmulatorReference;
  readonly pollIntervalMs: number;
}

const POLL_MS = 250;

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

function slice(corpus: string, offset: number, bytes: number): Buffer {
  const fd = openSync(corpus, 'r');
  const buf = Buffer.alloc(bytes);
  readSync(fd, buf, 0, bytes, offset);
  closeSync(fd);
  return buf;
}

/** A bare PutObject/GetObject loop against the same moto: what the emulator itself allows. */
async function emulatorReference(
  s3: S3Client,
  corpus: string,
  largeBytes: number,
): Promise<EmulatorReference> {
  const Bucket = 'bench-reference';
  await s3.send(new CreateBucketCommand({ Bucket }));
  const small = Array.from({ length: 200 }, (_, i) => ({ key: `ref/${i}`, body: randomBytes(10 * 1024) }));
  let t = performance.now();
  await pool(small, 16, async (o) => {
    await s3.send(new PutObjectCommand({ Bucket, Key: o.key, Body: o.body }));
  });
  const putSmallPerS = small.length / ((performance.now() - t) / 1000);
  t = performance.now();
  await pool(small, 16, async (o) => {
    const r = await s3.send(new GetObjectCommand({ Bucket, Key: o.key }));
    await r.Body?.transformToByteArray();
  });
  const getSmallPerS = small.length / ((performance.now() - t) / 1000);
  const large = slice(corpus, 0, largeBytes);
  t = performance.now();
  await s3.send(new PutObjectCommand({ Bucket, Key: 'ref/large', Body: large }));
  const putLargeMbPerS = largeBytes / MB / ((performance.now() - t) / 1000);
  t = performance.now();
  const r = await s3.send(new GetObjectCommand({ Bucket, Key: 'ref/large' }));
  for await (const _ of r.Body as AsyncIterable<Uint8Array>);
  const getLargeMbPerS = largeBytes / MB / ((performance.now() - t) / 1000);
  return { putSmallPerS, getSmallPerS, putLargeMbPerS, getLargeMbPerS };
}

/** Ships files into the ingest bucket and polls the archive bucket until each has its archive. */
async function batch(opts: {
  s3: S3Client;
  ingest: string;
  archive: string;
  source: string;
  files: { path: string; relativeKey: string; size: number }[];
  width: number;
  timeoutMs: number;
  log: (line: string) => void;
}): Promise<E2EBatch> {
  const { s3, files } = opts;
  const uploaded = new Map<string, number>();
  const seen = new Map<string, number>();
  const start = Date.now();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      for await (const e of listArchives(s3, opts.archive, { source: opts.source })) {
        if (!seen.has(e.archiveKey)) seen.set(e.archiveKey, Date.now());
      }
      if (seen.size >= files.length) return;
      if (Date.now() - start > opts.timeoutMs) return;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  await pool(files, opts.width, async (f) => {
    const key = await shipFile(s3, opts.ingest, opts.source, f);
    uploaded.set(key, Date.now());
  });
  opts.log(`  ${files.length} object(s) uploaded in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  await poller;
  polling = false;
  const end = Math.max(...seen.values());
  const latencies: number[] = [];
  await pool([...seen.keys()], 16, async (archiveKey) => {
    const meta = await describeArchive(s3, opts.archive, archiveKey);
    const up = meta?.sourceKey ? uploaded.get(meta.sourceKey) : undefined;
    if (up !== undefined) latencies.push((seen.get(archiveKey) as number) - up);
  });
  const seconds = (end - start) / 1000;
  const bytes = files.reduce((n, f) => n + f.size, 0);
  return {
    objects: files.length,
    objectBytes: files[0]?.size ?? 0,
    archived: seen.size,
    seconds,
    objectsPerS: seen.size / seconds,
    mbPerS: bytes / MB / seconds,
    latencyP50Ms: percentile(latencies, 50),
    latencyP95Ms: percentile(latencies, 95),
  };
}

/** Section 3: small and large objects through the whole local pipeline (moto + every function). */
export async function benchE2E(opts: {
  corpus: string;
  small: number;
  smallBytes: number;
  large: number;
  largeBytes: number;
  log: (line: string) => void;
}): Promise<E2EResult> {
  // Every object archived alone (pack threshold 0): this section measures the single-archive
  // path's throughput and keeps its figures comparable; packed small logs are section `bundles`.
  const cloud = await startLocalCloud({
    env: { POWERTOOLS_LOG_LEVEL: 'ERROR', POWERTOOLS_METRICS_DISABLED: 'true', PACK_THRESHOLD_BYTES: '0' },
  });
  try {
    const s3 = new S3Client({ forcePathStyle: true });
    const ingest = cloud.outputs.IngestBucketName as string;
    const archive = cloud.outputs.ArchiveBucketName as string;
    const corpusSize = statSync(opts.corpus).size;
    const dir = join(work, 'e2e');
    const files = (name: string, n: number, bytes: number) => {
      mkdirSync(join(dir, name), { recursive: true });
      return Array.from({ length: n }, (_, i) => {
        const path = join(dir, name, `obj-${String(i).padStart(5, '0')}.log`);
        writeFileSync(path, slice(opts.corpus, (i * bytes) % Math.max(1, corpusSize - bytes), bytes));
        return { path, relativeKey: `obj-${String(i).padStart(5, '0')}.log`, size: bytes };
      });
    };
    opts.log('  emulator reference (bare PutObject/GetObject)…');
    const emulator = await emulatorReference(s3, opts.corpus, opts.largeBytes);
    opts.log(`  ${opts.small} × ${opts.smallBytes / 1024} KiB…`);
    const small = await batch({
      s3,
      ingest,
      archive,
      source: 'bench-small',
      files: files('small', opts.small, opts.smallBytes),
      width: 16,
      timeoutMs: 600_000,
      log: opts.log,
    });
    opts.log(`  ${opts.large} × ${opts.largeBytes / MiB} MiB…`);
    const large = await batch({
      s3,
      ingest,
      archive,
      source: 'bench-large',
      files: files('large', opts.large, opts.largeBytes),
      width: 2,
      timeoutMs: 900_000,
      log: opts.log,
    });
    return { small, large, emulator, pollIntervalMs: POLL_MS };
  } finally {
    await cloud.stop();
  }
}
