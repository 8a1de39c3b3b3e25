import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resetMoto } from '#local/moto.ts';
import { pollUntil } from '#local/poll.ts';
import { faultSeed, mixedLogs, randomFaults } from '../../helpers/fault-cloud.ts';
import {
  assess,
  type DirectClients,
  directClients,
  drained,
  expectNothingLost,
  openUploads,
  reportSummary,
  type SummaryRow,
  shipLogs,
  summaryRow,
} from '../../helpers/fault-invariants.ts';
import { type FaultProxy, type FaultRule, on, startFaultProxy } from '../../helpers/fault-proxy.ts';

const bin = join(import.meta.dirname, '..', '..', '..', 'bin', 'logvault.mjs');
// Its own state directory: the developer's .logvault/dev.json is left alone.
const stateDir = mkdtempSync(join(tmpdir(), 'lv-sigkill-'));
let proxy: FaultProxy;
let direct: DirectClients;
let dev: ChildProcess | undefined;
const rows: SummaryRow[] = [];

interface DevState {
  pid: number;
  endpoint: string;
  outputs: Record<string, string>;
}

/** Starts `logvault dev` on the proxy and waits for its ready line. */
async function startDev(): Promise<{ child: ChildProcess; state: DevState }> {
  const child = spawn(process.execPath, [bin, 'dev', '--quiet', '--endpoint', proxy.endpoint], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOGVAULT_STATE_DIR: stateDir, POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.resume();
  await pollUntil(
    async () => {
      if (child.exitCode !== null) throw new Error(`logvault dev exited with ${child.exitCode}`);
      return out.includes('ready') ? true : undefined;
    },
    'logvault dev to be ready',
    90_000,
  );
  const state = JSON.parse(readFileSync(join(stateDir, 'dev.json'), 'utf8')) as DevState;
  expect(state.pid).toBe(child.pid);
  return { child, state };
}

beforeAll(async () => {
  const moto = inject('motoEndpoint');
  await resetMoto(moto);
  proxy = await startFaultProxy(moto, faultSeed());
  process.stderr.write(`fault proxy seed ${proxy.seed} (LOGVAULT_FAULT_SEED=${proxy.seed} replays it)\n`);
  direct = directClients(moto);
});
afterAll(async () => {
  if (rows.length > 0) reportSummary('sigkill', rows);
  if (dev && dev.exitCode === null) dev.kill('SIGKILL');
  await proxy?.stop();
});

describe('logvault dev killed with SIGKILL mid-run and restarted', () => {
  it('resumes the same stack and finishes every job: nothing lost, duplicated or left open', async () => {
    const first = await startDev();
    dev = first.child;
    const o = first.state.outputs;
    const archive = o.ArchiveBucketName as string;
    proxy.resetStats();
    // Slow archive parts keep multipart uploads open when the kill lands; 10% faults on top.
    const slowParts: FaultRule = {
      match: on.operation('s3', 'UploadPart', archive),
      kind: 'delay',
      delayMs: 1_500,
      rate: 1,
    };
    proxy.setRules([slowParts, ...randomFaults(0.1)]);
    const shipped = await shipLogs(direct, o.IngestBucketName as string, {
      ...mixedLogs('killed', 16),
      'killed/second-large.bin': randomBytes(10 * 1024 * 1024),
    });

    await pollUntil(
      async () =>
        proxy.seen.some((op) => op.name === 'UploadPart' && op.bucket === archive) ? true : undefined,
      'an archive multipart upload to be under way',
      60_000,
    );
    const killed = new Promise((r) => first.child.once('exit', r));
    first.child.kill('SIGKILL');
    await killed;
    // The killed process leaves its multipart upload open; the restart must not.
    expect(await openUploads(direct, [archive])).toBeGreaterThanOrEqual(1);

    const second = await startDev();
    dev = second.child;
    // The same stack, so the same key: archives written before the kill stay readable.
    expect(second.state.outputs).toEqual(o);
    await drained(direct, [o.IngestQueueUrl as string, o.ArchiveQueueUrl as string]);
    proxy.setRules([]);
    const stopped = new Promise((r) => second.child.once('exit', r));
    second.child.kill('SIGTERM');
    await stopped;

    const outcome = await assess(direct, o, shipped);
    rows.push(summaryRow('SIGKILL mid-run, restarted (10% faults)', proxy, outcome));
    expectNothingLost(outcome);
  });
});
