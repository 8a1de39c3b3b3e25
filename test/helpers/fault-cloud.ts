import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { type LocalCloud, startLocalCloud } from '#local/cloud.ts';
import { resetMoto } from '#local/moto.ts';
import { logText } from '#local/sample-logs.ts';
import { type FaultProxy, type FaultRule, on, startFaultProxy } from './fault-proxy.ts';

/** The seed for rate-based faults: LOGVAULT_FAULT_SEED replays a run, otherwise a fresh one. */
export const faultSeed = (): number =>
  process.env.LOGVAULT_FAULT_SEED ? Number(process.env.LOGVAULT_FAULT_SEED) : Date.now() % 2 ** 31;

/**
 * A fresh local cloud whose functions reach the emulator only through a fault proxy. The stack
 * is created before any rule is set, so faults hit the pipeline, not its setup.
 */
export async function faultyCloud(): Promise<{ cloud: LocalCloud; proxy: FaultProxy; moto: string }> {
  const moto = inject('motoEndpoint');
  await resetMoto(moto);
  const proxy = await startFaultProxy(moto, faultSeed());
  process.stderr.write(`fault proxy seed ${proxy.seed} (LOGVAULT_FAULT_SEED=${proxy.seed} replays it)\n`);
  const cloud = await startLocalCloud({ endpoint: proxy.endpoint, env: { POWERTOOLS_LOG_LEVEL: 'WARN' } });
  return { cloud, proxy, moto };
}

const ERRORS = ['internal-error', 'slow-down', 'reset'] as const;

/**
 * Faults on a fraction of every S3, SQS, KMS and EC2 call, before the emulator sees it or after
 * (the answer lost). RunInstances is only failed before: EC2 makes a retried launch with the same
 * ClientToken a no-op, moto launches again, and that difference is the emulator's, not ours.
 */
export function randomFaults(rate: number): FaultRule[] {
  const runInstances = on.operation('ec2', 'RunInstances');
  // Rules are tried in order and a rule that does not fire falls through to the next, so the
  // second must leave RunInstances out rather than rely on the first.
  return [
    { match: runInstances, kind: ERRORS, rate, phase: 'request' },
    {
      match: on.except(on.services('s3', 'sqs', 'kms', 'ec2'), runInstances),
      kind: ERRORS,
      rate,
      phase: 'either',
    },
  ];
}

/** Small logs of a few kinds, plus one whose archive is large enough for a multipart upload. */
export function mixedLogs(
  source: string,
  count: number,
  largeBytes = 12 * 1024 * 1024,
): Record<string, Buffer> {
  const files: Record<string, Buffer> = {};
  for (let i = 0; i < count; i++) files[`${source}/app/${i}.log`] = Buffer.from(logText(20 + i * 7, i + 1));
  files[`${source}/with space/and+plus.log`] = Buffer.from(logText(40, 99));
  files[`${source}/empty.log`] = Buffer.alloc(0);
  // Random bytes do not compress, so the archive stays over one 8 MiB part.
  files[`${source}/large.bin`] = randomBytes(largeBytes);
  return files;
}
