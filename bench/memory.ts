import { BLOCK_BYTES, corpusBuffer, cyclicSha256 } from './corpus.ts';
import { MB, type Measured, MiB, pinned, pinnedWorker, startGenerator } from './measure.ts';

export interface MemoryPoint {
  readonly tool: 'logvault' | 'zstd-cli' | 'gzip-6';
  readonly bytes: number;
  readonly mbPerS: number;
  readonly peakRssMiB: number;
  /** For the Node pipelines: peak V8 heap, external and ArrayBuffer memory (MiB). */
  readonly peaksMiB?: { heapTotal: number; external: number; arrayBuffers: number };
}

export interface MemoryResult {
  readonly sizes: number[];
  readonly points: MemoryPoint[];
  readonly maxPeakRssMiB: number;
  readonly smallestPeakRssMiB: number;
  readonly growth: number;
}

/**
 * Section 2: peak RSS (and throughput) against object size. Each object is streamed from a
 * generator process on CPU 0 into the tool pinned on CPU 1, never from disk.
 */
export async function benchMemory(opts: {
  sizes: number[];
  workerPath: string;
  keyArn: string;
  env: Record<string, string>;
  log: (line: string) => void;
}): Promise<MemoryResult> {
  const points: MemoryPoint[] = [];
  const blocks = new Map<number, Buffer>();
  for (const bytes of opts.sizes) {
    const blockBytes = Math.min(bytes, BLOCK_BYTES);
    if (!blocks.has(blockBytes)) blocks.set(blockBytes, corpusBuffer(blockBytes));
    const sha256 = cyclicSha256(bytes, blocks.get(blockBytes) as Buffer);
    const spec = (codec: 'zstd' | 'gzip', level: number) => ({
      codec,
      level,
      verify: true,
      input: '-',
      sha256,
      keyArn: opts.keyArn,
    });
    const tools: [MemoryPoint['tool'], (gen: NodeJS.ReadableStream) => Promise<Measured>][] = [
      ['logvault', (gen) => pinnedWorker(opts.workerPath, spec('zstd', 3), opts.env, gen as never)],
      ['zstd-cli', (gen) => pinned(['zstd', '-3', '-T1', '-q', '-c'], { stdin: gen as never })],
      ['gzip-6', (gen) => pinnedWorker(opts.workerPath, spec('gzip', 6), opts.env, gen as never)],
    ];
    for (const [tool, run] of tools) {
      const gen = await startGenerator(bytes);
      const m = await run(gen.stdout);
      await gen.done;
      const point = {
        tool,
        bytes,
        mbPerS: bytes / MB / (m.wallMs / 1000),
        peakRssMiB: m.maxRssMiB,
        ...(m.peaksMiB ? { peaksMiB: m.peaksMiB } : {}),
      };
      points.push(point);
      opts.log(
        `  ${tool} ${bytes / MiB} MiB: ${point.mbPerS.toFixed(1)} MB/s, peak RSS ${point.peakRssMiB.toFixed(1)} MiB${m.peaksMiB ? ` (heap ${m.peaksMiB.heapTotal.toFixed(1)}, external ${m.peaksMiB.external.toFixed(1)}, ArrayBuffers ${m.peaksMiB.arrayBuffers.toFixed(1)} MiB)` : ''}`,
      );
    }
  }
  const ours = points.filter((p) => p.tool === 'logvault');
  const maxPeakRssMiB = Math.max(...ours.map((p) => p.peakRssMiB));
  const smallestPeakRssMiB = ours[0]?.peakRssMiB ?? Number.NaN;
  return {
    sizes: opts.sizes,
    points,
    maxPeakRssMiB,
    smallestPeakRssMiB,
    growth: (ours.at(-1)?.peakRssMiB ?? Number.NaN) / smallestPeakRssMiB - 1,
  };
}
