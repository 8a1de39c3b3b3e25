/**
 * A/B of the archive transform between code versions (or Node flags), for work on seal() and its
 * stages: each variant's worker is bundled like the functions, and the variants run interleaved,
 * round by round, each run a fresh child pinned to CPU 1, so that drift in machine load hits them
 * alike. Compare CPU ms/MB: it is what load distorts least.
 *
 *   node --import tsx bench/ab.ts --ref=before:18e831e --ref=after:WORKTREE --rounds=6
 *   node --import tsx bench/ab.ts --ref=a:WORKTREE --ref=b:WORKTREE --flags=b:--max-semi-space-size=1
 *   node --import tsx bench/ab.ts --ref=a:WORKTREE --stdin=2147483648      (streamed, as section 2)
 *
 *   --ref=NAME:REF     a variant: shared/ from git REF (WORKTREE: the working tree), always with this
 *                      tree's bench/worker.ts, so every variant is fed and timed the same way
 *   --flags=NAME:F     Node flags for one variant (space-separated); --node-options=F for all of them
 *   --mib=N            corpus size for file runs (default 64); --chunk=BYTES the source chunks (16 KiB)
 *   --stdin=BYTES      stream that many bytes from the generator instead of reading a file
 *   --pipelines=zstd:3:true,zstd:3:false,gzip:6:false   codec:level:verify (default: the first two)
 *   --rounds=N         (default 4)
 *   --cpu-prof=DIR     write a V8 CPU profile per run
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BLOCK_BYTES, corpusBuffer, cyclicSha256, MiB, writeCorpus } from './corpus.ts';
import { startBenchKms } from './emulator.ts';
import { buildWorker, MB, median, pinned, projectRoot, startGenerator, work } from './measure.ts';
import type { WorkerResult, WorkerSpec } from './worker.ts';

const argv = process.argv.slice(2);
const flag = (n: string) => argv.find((a) => a.startsWith(`--${n}=`))?.slice(n.length + 3);
const all = (n: string) => argv.filter((a) => a.startsWith(`--${n}=`)).map((a) => a.slice(n.length + 3));
const split = (s: string): [string, string] => [s.slice(0, s.indexOf(':')), s.slice(s.indexOf(':') + 1)];

const refs = all('ref').map(split);
if (refs.length === 0) throw new Error('give at least one --ref=NAME:REF (REF: a git ref or WORKTREE)');
const nodeFlags = new Map(all('flags').map((s) => split(s)));
const common = flag('node-options') ?? '';
const rounds = Number(flag('rounds') ?? 4);
const mib = Number(flag('mib') ?? 64);
const stdinBytes = flag('stdin') ? Number(flag('stdin')) : undefined;
const chunkBytes = flag('chunk') ? Number(flag('chunk')) : undefined;
const cpuProf = flag('cpu-prof');
const pipelines = (flag('pipelines') ?? 'zstd:3:true,zstd:3:false').split(',').map((s) => {
  const [codec, level, verify] = s.split(':');
  return { codec: codec as 'zstd' | 'gzip', level: Number(level), verify: verify === 'true' };
});

const trees: string[] = [];

/** The worker bundle for one variant: shared/ as of `ref`, bench/ from this tree. */
async function workerFor(name: string, ref: string): Promise<string> {
  if (ref === 'WORKTREE') return buildWorker(join(work, `worker-${name}.mjs`));
  const tree = mkdtempSync(join(tmpdir(), `logvault-ab-${name}-`));
  trees.push(tree);
  const archive = spawnSync('bash', ['-c', `git archive ${ref} | tar -x -C ${tree}`], { cwd: projectRoot });
  if (archive.status !== 0) throw new Error(`git archive ${ref} failed: ${archive.stderr}`);
  spawnSync('rm', ['-rf', join(tree, 'bench')]);
  spawnSync('cp', ['-r', join(projectRoot, 'bench'), join(tree, 'bench')]);
  spawnSync('cp', [join(projectRoot, 'infra/esbuild-plugins.cjs'), join(tree, 'infra/')]);
  symlinkSync(join(projectRoot, 'node_modules'), join(tree, 'node_modules'));
  return buildWorker(join(work, `worker-${name}.mjs`), tree);
}

async function main(): Promise<void> {
  let input = '-';
  let bytes = stdinBytes ?? mib * MiB;
  let sha256: string;
  if (stdinBytes) {
    sha256 = cyclicSha256(stdinBytes, corpusBuffer(Math.min(stdinBytes, BLOCK_BYTES)));
  } else {
    mkdirSync(join(tmpdir(), 'logvault-ab'), { recursive: true });
    input = join(tmpdir(), 'logvault-ab', `corpus-${mib}.log`);
    if (!existsSync(input)) await writeCorpus(input, bytes);
    const hash = createHash('sha256');
    for await (const c of createReadStream(input)) hash.update(c as Buffer);
    sha256 = hash.digest('hex');
    bytes = mib * MiB;
  }
  const workers = new Map<string, string>();
  for (const [name, ref] of refs) workers.set(name, await workerFor(name, ref));

  const kms = await startBenchKms();
  const runs = new Map<string, { cpu: number[]; mbps: number[]; rss: number[]; ab: number[]; out: number }>();
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const p of pipelines) {
        for (const [name, path] of workers) {
          const key = `${name} ${p.codec}-${p.level} verify:${p.verify}`;
          const spec: WorkerSpec = {
            ...p,
            input,
            sha256,
            keyArn: kms.keyArn,
            ...(chunkBytes ? { chunkBytes } : {}),
          };
          const args = [...(nodeFlags.get(name)?.split(' ').filter(Boolean) ?? [])];
          if (cpuProf)
            args.push(
              '--cpu-prof',
              `--cpu-prof-dir=${cpuProf}`,
              `--cpu-prof-name=${name}-${p.codec}${p.level}-${p.verify}-${round}.cpuprofile`,
            );
          const gen = stdinBytes ? await startGenerator(stdinBytes) : undefined;
          const m = await pinned([process.execPath, ...args, path, JSON.stringify(spec)], {
            env: { ...process.env, ...kms.env, NODE_OPTIONS: common },
            captureStdout: true,
            ...(gen ? { stdin: gen.stdout } : {}),
          });
          await gen?.done;
          const own = JSON.parse(m.stdout.trim().split('\n').pop() ?? '{}') as WorkerResult;
          if (own.bytesIn !== bytes) throw new Error(`${key}: read ${own.bytesIn} of ${bytes} bytes`);
          const r = runs.get(key) ?? { cpu: [], mbps: [], rss: [], ab: [], out: own.bytesOut };
          r.cpu.push(own.cpuMs / (bytes / MB));
          r.mbps.push(bytes / MB / (own.wallMs / 1000));
          r.rss.push(m.maxRssMiB);
          r.ab.push(own.peaksMiB.arrayBuffers);
          runs.set(key, r);
          console.log(
            `round ${round} ${key}: ${(own.cpuMs / (bytes / MB)).toFixed(2)} CPU ms/MB, peak RSS ${m.maxRssMiB.toFixed(1)} MiB`,
          );
        }
      }
    }
  } finally {
    await kms.stop();
  }
  console.log(
    `\n${bytes / MiB} MiB ${stdinBytes ? 'streamed from the generator' : 'from a file'}, median of ${rounds}:`,
  );
  console.log('| variant | CPU ms/MB | runs | MB/s | peak RSS MiB | ArrayBuffers MiB | ratio |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [key, r] of runs)
    console.log(
      `| ${key} | ${median(r.cpu).toFixed(2)} | ${r.cpu.map((x) => x.toFixed(2)).join(' ')} | ${median(r.mbps).toFixed(0)} | ${median(r.rss).toFixed(1)} | ${median(r.ab).toFixed(1)} | ${(bytes / r.out).toFixed(2)} |`,
    );
}

try {
  await main();
} finally {
  for (const dir of trees) rmSync(dir, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
