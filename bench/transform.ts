import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { MB, type Measured, median, pinned, pinnedWorker } from './measure.ts';
import type { WorkerSpec } from './worker.ts';

export interface TransformRow {
  readonly name: string;
  readonly mbPerS: number;
  readonly cpuMsPerMB: number;
  /** 1000 / cpuMsPerMB: the throughput one core would give if the process had it to itself. */
  readonly mbPerCpuS: number;
  readonly ratio: number;
  readonly peakRssMiB: number;
  readonly runsMbPerS: number[];
}

export interface TransformResult {
  readonly corpusBytes: number;
  readonly runs: number;
  readonly rows: TransformRow[];
  readonly mbPerS: number;
  readonly ratio: number;
  readonly vsZstdCli: number;
  readonly vsGzip6: number;
  readonly ratioVsGzip6: number;
  /** The same two factors from CPU time instead of wall time (less sensitive to other load). */
  readonly vsZstdCliCpu: number;
  readonly vsGzip6Cpu: number;
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(c);
  return hash.digest('hex');
}

/** Compressed size from the zstd CLI (not timed). */
async function zstdSize(path: string): Promise<number> {
  const child = spawn('zstd', ['-3', '-T1', '-q', '-c', path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let n = 0;
  for await (const c of child.stdout) n += (c as Buffer).length;
  return n;
}

/**
 * Section 1: the archive transform (seal(), as the Lambda runs it) against the zstd CLI and
 * Node gzip-6 with the same encryption, on one file, each run in a fresh child pinned to CPU 1.
 * Tools alternate within each round so that drift in machine load hits them alike.
 */
export async function benchTransform(opts: {
  corpus: string;
  runs: number;
  workerPath: string;
  keyArn: string;
  env: Record<string, string>;
  log: (line: string) => void;
}): Promise<TransformResult> {
  const bytes = statSync(opts.corpus).size;
  const sha256 = await sha256File(opts.corpus);
  const spec = (codec: 'zstd' | 'gzip', level: number, verify: boolean): WorkerSpec => ({
    codec,
    level,
    verify,
    input: opts.corpus,
    sha256,
    keyArn: opts.keyArn,
  });
  const tools: [string, () => Promise<Measured>][] = [
    [
      'logvault zstd-3 + encrypt, verify:true (as the Lambda)',
      () => pinnedWorker(opts.workerPath, spec('zstd', 3, true), opts.env),
    ],
    [
      'logvault zstd-3 + encrypt, verify:false',
      () => pinnedWorker(opts.workerPath, spec('zstd', 3, false), opts.env),
    ],
    [
      'zstd -3 -T1 (CLI, no encryption)',
      async () => ({
        ...(await pinned(['zstd', '-3', '-T1', '-q', '-c', opts.corpus])),
        bytesIn: bytes,
        bytesOut: await zstdSize(opts.corpus),
      }),
    ],
    [
      'Node gzip-6 + encrypt (Firehose-style)',
      () => pinnedWorker(opts.workerPath, spec('gzip', 6, false), opts.env),
    ],
  ];
  const samples = new Map<string, Measured[]>(tools.map(([n]) => [n, []]));
  for (let round = 1; round <= opts.runs; round++) {
    for (const [name, run] of tools) {
      const m = await run();
      samples.get(name)?.push(m);
      opts.log(`  round ${round}/${opts.runs} ${name}: ${(bytes / MB / (m.wallMs / 1000)).toFixed(1)} MB/s`);
    }
  }
  const rows = tools.map(([name]): TransformRow => {
    const ms = samples.get(name) ?? [];
    const runsMbPerS = ms.map((m) => bytes / MB / (m.wallMs / 1000));
    const cpuMsPerMB = median(ms.map((m) => m.cpuMs / (bytes / MB)));
    return {
      name,
      mbPerS: median(runsMbPerS),
      cpuMsPerMB,
      mbPerCpuS: 1000 / cpuMsPerMB,
      ratio: bytes / (ms[0]?.bytesOut ?? Number.NaN),
      peakRssMiB: median(ms.map((m) => m.maxRssMiB)),
      runsMbPerS,
    };
  });
  const [lv, , cli, gz] = rows as [TransformRow, TransformRow, TransformRow, TransformRow];
  return {
    corpusBytes: bytes,
    runs: opts.runs,
    rows,
    mbPerS: lv.mbPerS,
    ratio: lv.ratio,
    vsZstdCli: lv.mbPerS / cli.mbPerS,
    vsGzip6: lv.mbPerS / gz.mbPerS,
    ratioVsGzip6: lv.ratio / gz.ratio,
    vsZstdCliCpu: cli.cpuMsPerMB / lv.cpuMsPerMB,
    vsGzip6Cpu: gz.cpuMsPerMB / lv.cpuMsPerMB,
  };
}
