/**
 * `npm run bench`: the benchmarks. Never part of `npm test`.
 *
 *   npm run bench                      full run (256 MiB corpus, 5 rounds, 16 MiB / 256 MiB / 2 GiB objects)
 *   npm run bench -- --quick           a few minutes: 32 MiB corpus, 2 rounds, small objects, small e2e,
 *                                      a 1,000 + 100 sweep
 *   npm run bench -- --mib=64          corpus size (also LOGVAULT_BENCH_MIB)
 *   npm run bench -- --only=transform,memory,e2e,packages,bundles,sweep,logs
 *                                      (packages: Lambda bundle sizes and module init; bundles: small
 *                                      logs packed, requests and modelled cost before and after)
 *   npm run bench -- --sweep-unexpired=N --sweep-expired=M   the sweep runs over N, then 10×N, unexpired
 *                                      archives with M expired (full run: 2,000 and 1,000). The full
 *                                      100,000 + 1,000 check is N=10,000, but moto holds every object
 *                                      in memory: seeding it passed 14 GiB of RSS after 30 minutes here
 *
 * Writes bench/results/<date>.{json,md,svg}; a full run also overwrites bench/results/latest.*.
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchBundles } from './bundles.ts';
import { corpusBytes, MiB, writeCorpus } from './corpus.ts';
import { benchE2E } from './e2e.ts';
import { startBenchKms } from './emulator.ts';
import { benchLogs } from './logs.ts';
import {
  archiveNodeOptions,
  buildWorker,
  ensureMoto,
  ensureZstd,
  machine,
  projectRoot,
  work,
} from './measure.ts';
import { benchMemory } from './memory.ts';
import { benchPacking } from './packing.ts';
import { plotSvg } from './plot.ts';
import { evaluate, markdown, type Results } from './report.ts';
import { benchSweep } from './sweep.ts';
import { benchTransform } from './transform.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const SECTIONS = 'transform,memory,e2e,packages,bundles,sweep,logs';
const only = new Set((flag('only') ?? SECTIONS).split(','));
const corpusSize = corpusBytes(process.argv, quick ? 32 : 256);
const runs = Number(flag('runs') ?? (quick ? 2 : 5));
const sizes = quick ? [16 * MiB, 64 * MiB, 128 * MiB] : [16 * MiB, 256 * MiB, 2048 * MiB];
const log = (line: string) => console.log(line);
const sweepUnexpired = Number(flag('sweep-unexpired') ?? (quick ? 1_000 : 2_000));
const sweepExpired = Number(flag('sweep-expired') ?? (quick ? 100 : 1_000));

/** Writes the results so far (after each section, so a long sweep cannot lose the rest). */
function save(results: Results, final: boolean): void {
  results.targets = evaluate(results);
  results.machine.loadAverageAtEnd = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

  const dir = join(projectRoot, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const name = `${String(results.machine.date).slice(0, 10)}${quick ? '-quick' : ''}`;
  const svg = plotSvg(
    results.memory?.points ?? [],
    `${results.machine.cpuModel}, Node ${results.machine.node}, ${results.machine.date}`,
  );
  const md = markdown(results, `${name}.svg`);
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(dir, `${name}.md`), `${md}\n`);
  writeFileSync(join(dir, `${name}.svg`), svg);
  if (!quick && only.size === SECTIONS.split(',').length) {
    for (const ext of ['json', 'svg']) copyFileSync(join(dir, `${name}.${ext}`), join(dir, `latest.${ext}`));
    writeFileSync(join(dir, 'latest.md'), `${markdown(results, 'latest.svg')}\n`);
  }
  if (final) console.log(`\n${md}\n\nwritten: bench/results/${name}.{json,md,svg}`);
}

async function main(): Promise<void> {
  ensureZstd();
  ensureMoto();
  const results: Results = {
    machine: machine(),
    config: {
      quick,
      corpusMiB: corpusSize / MiB,
      runs,
      memorySizesMiB: sizes.map((s) => s / MiB),
      pinnedCpu: 1,
      e2e: quick ? '50 × 10 KiB, 1 × 16 MiB' : '500 × 10 KiB, 2 × 256 MiB',
      sweep: `${sweepUnexpired} unexpired + ${sweepExpired} expired, then ${sweepUnexpired * 10} unexpired`,
      logs: `${quick ? 24 : 96} shipper runs, 3 logs`,
    },
    targets: [],
  };
  const corpusFor = async (bytes: number) => {
    const path = join(work, `corpus-${bytes}.log`);
    await writeCorpus(path, bytes);
    return path;
  };
  log(`corpus: ${corpusSize / MiB} MiB of generated logs`);
  const transformCorpus = await corpusFor(corpusSize);
  // The e2e objects are slices of a corpus at least as large as its large objects.
  const corpus = await corpusFor(Math.max(corpusSize, quick ? 16 * MiB : 256 * MiB));
  const workerPath = await buildWorker();
  // The workers run with the archive function's NODE_OPTIONS, exactly as deployed.
  const nodeOptions = await archiveNodeOptions();
  (results.config as Record<string, unknown>).archiveNodeOptions = nodeOptions;
  log(`worker NODE_OPTIONS (the archive function's): ${nodeOptions || '(none)'}`);

  if (only.has('packages')) {
    log('4. Lambda bundles and module init');
    Object.assign(results, { bundles: await benchBundles({ runs: 5, log }) });
  }
  if (only.has('transform') || only.has('memory')) {
    const kms = await startBenchKms();
    try {
      if (only.has('transform')) {
        log(`1. transform core, pinned to CPU 1, ${runs} rounds`);
        Object.assign(results, {
          transform: await benchTransform({
            corpus: transformCorpus,
            runs,
            workerPath,
            keyArn: kms.keyArn,
            env: { ...kms.env, NODE_OPTIONS: nodeOptions },
            log,
          }),
        });
      }
      if (only.has('memory')) {
        log('2. peak RSS against object size');
        Object.assign(results, {
          memory: await benchMemory({
            sizes,
            workerPath,
            keyArn: kms.keyArn,
            env: { ...kms.env, NODE_OPTIONS: nodeOptions },
            log,
          }),
        });
      }
    } finally {
      await kms.stop();
    }
  }
  if (only.has('e2e')) {
    save(results, false);
    log('3. end to end through the local cloud');
    try {
      Object.assign(results, {
        e2e: await benchE2E({
          corpus,
          small: quick ? 50 : 500,
          smallBytes: 10 * 1024,
          large: quick ? 1 : 2,
          largeBytes: quick ? 16 * MiB : 256 * MiB,
          log,
        }),
      });
    } catch (error) {
      log(`  e2e failed: ${String(error)}`);
      Object.assign(results, { e2e: { error: String(error) } });
    }
  }
  if (only.has('bundles')) {
    save(results, false);
    log('bundles: small logs packed, before and after');
    Object.assign(results, await benchPacking({ log }));
  }
  if (only.has('sweep')) {
    save(results, false);
    log('5. sweep scale');
    Object.assign(results, {
      sweep: await benchSweep({ unexpired: sweepUnexpired, expired: sweepExpired, log }),
    });
  }
  if (only.has('logs')) {
    save(results, false);
    log('6. logs: a host day through the instance shipper');
    Object.assign(results, { logs: await benchLogs({ runs: quick ? 24 : 96, log }) });
  }
  save(results, true);
}

try {
  await main();
} finally {
  rmSync(work, { recursive: true, force: true });
}
