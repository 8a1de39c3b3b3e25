/**
 * One measurement in a child process (the parent pins it with `taskset -c 1`): archives a file or
 * stdin with seal() exactly as the archive Lambda calls it, into a null sink, and prints one JSON line.
 *
 *   node --import tsx bench/worker.ts '{"codec":"zstd","level":3,"verify":true,"input":"f","sha256":"…","keyArn":"…"}'
 */
import { createReadStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { archiveKeyring } from '#shared/archive/envelope.ts';
import { seal } from '#shared/archive/seal.ts';
import { createKms } from '#shared/clients/aws.ts';

export interface WorkerSpec {
  readonly codec: 'zstd' | 'gzip';
  readonly level: number;
  readonly verify: boolean;
  /** A file path, or `-` for stdin. */
  readonly input: string;
  /**
   * For a file: the size of the chunks seal() is handed (default 16 KiB, what an S3 body read over
   * TLS delivers). The file is read in 1 MiB reads and cut into chunks without copying, so the cost
   * of the reads themselves stays what a socket's would be. stdin is handed over as the pipe's reads
   * come (64 KiB).
   */
  readonly chunkBytes?: number;
  readonly sha256: string;
  readonly keyArn: string;
}

export interface WorkerResult {
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly maxRssMiB: number;
  /** Peaks of process.memoryUsage() sampled every 50 ms, in MiB: where the resident memory goes. */
  readonly peaksMiB: { heapTotal: number; external: number; arrayBuffers: number };
}

const READ = 1024 * 1024;

/** The file in 1 MiB reads, handed on in `size` pieces (views, not copies). */
async function* fileChunks(path: string, size: number): AsyncGenerator<Buffer> {
  for await (const read of createReadStream(path, { highWaterMark: READ }) as AsyncIterable<Buffer>) {
    for (let off = 0; off < read.length; off += size) yield read.subarray(off, off + size);
  }
}

async function run(spec: WorkerSpec, source: Readable, keyring: ReturnType<typeof archiveKeyring>) {
  const sealed = seal(source, {
    codec: { codec: spec.codec, level: spec.level },
    keyring,
    context: { source: 'bench', sha256: spec.sha256 },
    expectSha256: spec.sha256,
    label: 'bench',
    verify: spec.verify,
  });
  let out = 0;
  const sink = new Writable({
    highWaterMark: READ,
    write(chunk: Buffer, _e, done) {
      out += chunk.length;
      done();
    },
  });
  await pipeline(sealed.ciphertext, sink);
  const counts = await sealed.done;
  return { bytesIn: counts.plaintextBytes, bytesOut: out };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as WorkerSpec;
  const keyring = archiveKeyring(spec.keyArn, createKms());
  // Warm-up: load the codecs and open the KMS connection outside the measurement.
  const warm = Buffer.from('warm-up\n');
  const { createHash } = await import('node:crypto');
  await run(
    { ...spec, sha256: createHash('sha256').update(warm).digest('hex') },
    Readable.from([warm]),
    keyring,
  );

  let source: Readable;
  let started: [number, number, NodeJS.CpuUsage] | undefined;
  const start = () => {
    started ??= [performance.now(), 0, process.cpuUsage()];
  };
  if (spec.input === '-') {
    // Time from the first byte, so waiting for the generator process does not count.
    async function* timed() {
      for await (const c of process.stdin as AsyncIterable<Buffer>) {
        start();
        yield c;
      }
    }
    source = Readable.from(timed(), { objectMode: false, highWaterMark: 1 });
  } else {
    start();
    source = Readable.from(fileChunks(spec.input, spec.chunkBytes ?? 16 * 1024), {
      objectMode: false,
      highWaterMark: 1,
    });
  }
  const peaks = { heapTotal: 0, external: 0, arrayBuffers: 0 };
  const sample = () => {
    const m = process.memoryUsage();
    for (const k of ['heapTotal', 'external', 'arrayBuffers'] as const)
      peaks[k] = Math.max(peaks[k], m[k] / 2 ** 20);
  };
  const sampler = setInterval(sample, 50);
  const counts = await run(spec, source, keyring);
  clearInterval(sampler);
  sample();
  const [t0, , cpu0] = started ?? [performance.now(), 0, process.cpuUsage()];
  const cpu = process.cpuUsage(cpu0);
  const result: WorkerResult = {
    ...counts,
    wallMs: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    peaksMiB: peaks,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
