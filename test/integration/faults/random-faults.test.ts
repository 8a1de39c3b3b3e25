import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import { pollUntil } from '#local/poll.ts';
import { faultyCloud, mixedLogs, randomFaults } from '../../helpers/fault-cloud.ts';
import {
  assess,
  type DirectClients,
  deadLetters,
  directClients,
  drained,
  expectNothingLost,
  reportSummary,
  type SummaryRow,
  shipLogs,
  summaryRow,
} from '../../helpers/fault-invariants.ts';
import type { FaultProxy } from '../../helpers/fault-proxy.ts';

let cloud: LocalCloud;
let proxy: FaultProxy;
let direct: DirectClients;
let moto: string;
const rows: SummaryRow[] = [];

beforeAll(async () => {
  ({ cloud, proxy, moto } = await faultyCloud());
  direct = directClients(moto);
});
afterAll(async () => {
  if (rows.length > 0) reportSummary('random-faults', rows);
  await cloud?.stop();
  await proxy?.stop();
});

describe('10% faults on every S3, SQS, KMS and EC2 call', () => {
  it('archives every shipped log exactly once, restorable byte for byte, losing nothing', async () => {
    const o = cloud.outputs as Record<string, string>;
    proxy.resetStats();
    proxy.setRules(randomFaults(0.1));
    const shipped = await shipLogs(direct, o.IngestBucketName as string, mixedLogs('chaos', 24));
    await drained(direct, [o.IngestQueueUrl as string, o.ArchiveQueueUrl as string]);
    proxy.setRules([]);

    const outcome = await assess(direct, o, shipped);
    rows.push(summaryRow('archive, 10% faults', proxy, outcome));
    expect(proxy.stats().injected).toBeGreaterThan(0);
    expectNothingLost(outcome);
  });

  it('launches each provisioning request exactly once, or fails it with a reason, or dead-letters it', async () => {
    const o = cloud.outputs as Record<string, string>;
    const ec2 = new EC2Client({
      endpoint: moto,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    proxy.resetStats();
    proxy.setRules(randomFaults(0.1));

    const body = (name: string) => ({
      name,
      instanceType: 't4g.micro',
      backupFrequency: 'rate(15 minutes)',
      logPaths: ['/var/log/messages'],
    });
    /** POSTs until answered 202: a 5xx leaves the caller to retry, as the API documents. */
    const submit = async (name: string, key?: string): Promise<string> =>
      pollUntil(
        async () => {
          const res = await fetch(`${cloud.apiUrl}/instances`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...(key ? { 'Idempotency-Key': key } : {}) },
            body: JSON.stringify(body(name)),
          });
          const json = (await res.json()) as { requestId?: string };
          return res.status === 202 ? String(json.requestId) : undefined;
        },
        `POST /instances for ${name}`,
        60_000,
      );
    const ids = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const first = await submit(`keyed-${i}`, `chaos-${i}`);
      // The same request again, as a client that never saw the first answer would send it.
      expect(await submit(`keyed-${i}`, `chaos-${i}`)).toBe(first);
      ids.add(first);
    }
    for (let i = 0; i < 2; i++) ids.add(await submit(`unkeyed-${i}`));
    await drained(direct, [o.ProvisionQueueUrl as string]);
    proxy.setRules([]);

    const letters = await deadLetters(direct, [o.ProvisionDeadLetterQueueUrl as string]);
    let launchedOnce = 0;
    let duplicates = 0;
    let lost = 0;
    for (const requestId of ids) {
      const res = await ec2.send(
        new DescribeInstancesCommand({
          Filters: [{ Name: 'tag:logvault:request-id', Values: [requestId] }],
        }),
      );
      const instances = (res.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      const status = (await (await fetch(`${cloud.apiUrl}/instances/requests/${requestId}`)).json()) as {
        status: string;
        reason?: string;
        instanceIds?: string[];
      };
      if (instances.length > 1) duplicates += 1;
      else if (status.status === 'running' && instances.length === 1) {
        expect(status.instanceIds).toEqual([instances[0]?.InstanceId]);
        launchedOnce += 1;
      } else if (status.status === 'failed') {
        expect(status.reason).toBeTruthy();
        expect(instances).toHaveLength(0);
      } else if (!letters.some((l) => l.body.includes(requestId))) lost += 1;
    }
    rows.push({
      scenario: 'provisioning, 10% faults (requests)',
      seed: proxy.seed,
      faults: proxy.stats().injected,
      delayed: proxy.stats().delayed,
      retried: proxy.stats().redelivered,
      shipped: ids.size,
      restorable: launchedOnce,
      duplicates,
      lost,
      deadLettered: letters.length,
      byOperation: proxy.stats().byOperation,
    } satisfies SummaryRow);
    expect(proxy.stats().injected).toBeGreaterThan(0);
    expect(duplicates).toBe(0);
    expect(lost).toBe(0);
  });
});
