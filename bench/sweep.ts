import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startMoto } from '#local/moto.ts';
import { projectRoot } from './measure.ts';

export interface SweepRun {
  readonly unexpired: number;
  readonly expired: number;
  readonly requests: number;
  readonly byOperation: Record<string, number>;
}

export type SweepResult = { available: false; reason: string } | { available: true; runs: SweepRun[] };

type SweepScale = (opts: { endpoint: string; unexpired: number; expired: number }) => Promise<{
  requests: number;
  byOperation: Record<string, number>;
}>;

/**
 * Section 5: sweepScale() from bench/sweep-scale.ts runs against a fresh moto; if it cannot be
 * loaded, the section says "not available" rather than reporting numbers nobody measured.
 */
export async function benchSweep(opts: {
  unexpired: number;
  expired: number;
  log: (line: string) => void;
}): Promise<SweepResult> {
  const path = join(projectRoot, 'bench/sweep-scale.ts');
  if (!existsSync(path)) return { available: false, reason: 'bench/sweep-scale.ts does not exist yet' };
  const mod = (await import(pathToFileURL(path).href)) as { sweepScale?: SweepScale };
  if (typeof mod.sweepScale !== 'function')
    return { available: false, reason: 'bench/sweep-scale.ts does not export sweepScale()' };
  const runs: SweepRun[] = [];
  for (const unexpired of [opts.unexpired, opts.unexpired * 10]) {
    const moto = await startMoto();
    try {
      opts.log(`  sweep: ${unexpired} unexpired, ${opts.expired} expired…`);
      const r = await mod.sweepScale({ endpoint: moto.endpoint, unexpired, expired: opts.expired });
      runs.push({ unexpired, expired: opts.expired, requests: r.requests, byOperation: r.byOperation });
    } finally {
      await moto.stop();
    }
  }
  return { available: true, runs };
}
