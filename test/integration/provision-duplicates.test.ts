import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '#local/cloud.ts';
import type { LocalFunction } from '#local/functions.ts';
import postInstances from '../../events/http-post-instances.json' with { type: 'json' };
import { freshCloud } from '../helpers/cloud.ts';
import { sqsEvent, sqsRecord } from '../helpers/events.ts';

let cloud: LocalCloud;
const fn = (logicalId: string): LocalFunction => {
  const found = cloud.functions.functions.find((f) => f.logicalId === logicalId);
  if (!found) throw new Error(`no function ${logicalId}`);
  return found;
};

beforeAll(async () => {
  // No pollers: the test alone decides which messages reach the worker, and in which batch.
  cloud = await freshCloud({ triggers: false });
});
afterAll(() => cloud?.stop());

describe('one provisioning request delivered twice', () => {
  it('launches once when both deliveries arrive in the same batch', async () => {
    const answer = (await fn('ApiLambdaFunction').invoke(postInstances)) as {
      statusCode: number;
      body: string;
    };
    expect(answer.statusCode).toBe(202);
    const { requestId } = JSON.parse(answer.body) as { requestId: string };
    const body = JSON.stringify({ requestId });

    // Records of one batch run concurrently in one invocation: they must not share a claim.
    const first = (await fn('ProvisionLambdaFunction').invoke(
      sqsEvent(sqsRecord(body), sqsRecord(body)),
    )) as {
      batchItemFailures: { itemIdentifier: string }[];
    };
    const retried = first.batchItemFailures.length;
    expect(retried).toBeLessThanOrEqual(1);
    // The delivery that lost the race is retried, finds the instance and launches nothing more.
    if (retried) {
      await fn('ProvisionLambdaFunction').invoke(sqsEvent(sqsRecord(body)), { timeoutMs: 60_000 });
    }

    const res = await new EC2Client({}).send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:logvault:request-id', Values: [requestId] }] }),
    );
    expect((res.Reservations ?? []).flatMap((r) => r.Instances ?? [])).toHaveLength(1);
  });
});
