import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeInstancesCommand,
  EC2Client,
  EC2ServiceException,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { type LaunchDeps, provisionRequest, REQUEST_TAG } from '#shared/provision/launch.ts';
import type { RequestRecord } from '#shared/provision/store.ts';

const ec2 = mockClient(EC2Client);
const ddb = mockClient(DynamoDBDocumentClient);
const requestId = '0f0e0d0c-0b0a-0908-0706-050403020100';
const record: RequestRecord = {
  requestId,
  status: 'queued',
  bodyHash: 'h',
  createdAt: '2026-11-24T00:00:00.000Z',
  updatedAt: '2026-11-24T00:00:00.000Z',
  request: {
    name: 'web-1',
    instanceType: 't4g.micro',
    imageId: 'ami-0123456789abcdef0',
    count: 2,
    tags: [{ key: 'team', value: 'web' }],
    logPaths: ['/var/log/messages'],
    backupFrequency: 'rate(15 minutes)',
  },
};

const deps = (): LaunchDeps => ({
  ec2: new EC2Client({ region: 'us-east-1' }),
  ssm: new SSMClient({ region: 'us-east-1' }),
  store: { ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), table: 'requests' },
  config: {
    ingestBucket: 'ingest',
    instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/shipper',
    amiParameter: '/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64',
    stage: 'test',
    region: 'us-east-1',
  },
  renderUserData: (input) => `#!/bin/bash\n# ${input.requestId}\n`,
  logger: { info: () => undefined, warn: () => undefined },
});

const claim = { owner: 'invocation-1', until: new Date('2026-11-24T00:01:00.000Z') };

/** The status updates written to the table, in order. */
const statuses = () =>
  ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':s'] as string);

const ec2Error = (name: string, status: number) =>
  new EC2ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });

beforeEach(() => {
  ec2.reset();
  ddb.reset();
  ddb.on(GetCommand).resolves({ Item: record });
  ddb.on(UpdateCommand).resolves({});
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [] });
});

describe('provisionRequest', () => {
  it('launches with the request id as client token, tags, IMDSv2 and encrypted EBS, then marks running', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-1' }, { InstanceId: 'i-2' }] });
    expect(await provisionRequest(requestId, deps(), claim)).toBe('running');
    const input = ec2.commandCalls(RunInstancesCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      ClientToken: requestId,
      MinCount: 2,
      MaxCount: 2,
      MetadataOptions: { HttpTokens: 'required' },
      BlockDeviceMappings: [{ Ebs: { Encrypted: true } }],
      IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/shipper' },
    });
    expect(input?.TagSpecifications?.[0]?.Tags).toEqual(
      expect.arrayContaining([
        { Key: REQUEST_TAG, Value: requestId },
        { Key: 'logvault:source', Value: 'web-1' },
        { Key: 'Name', Value: 'web-1' },
        { Key: 'team', Value: 'web' },
      ]),
    );
    expect(statuses()).toEqual(['launching', 'running']);
    expect(
      ddb.commandCalls(UpdateCommand)[1]?.args[0].input.ExpressionAttributeValues?.[':instanceIds'],
    ).toEqual(['i-1', 'i-2']);
  });

  it('launches a request queued before tags were stored as pairs with the tags it was given', async () => {
    const queuedEarlier = {
      ...record,
      request: { ...record.request, tags: { team: 'web', owner: 'ops' } },
    };
    ddb.on(GetCommand).resolves({ Item: queuedEarlier });
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-1' }] });

    expect(await provisionRequest(requestId, deps(), claim)).toBe('running');
    const tags = ec2.commandCalls(RunInstancesCommand)[0]?.args[0].input.TagSpecifications?.[0]?.Tags;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: 'team', Value: 'web' },
        { Key: 'owner', Value: 'ops' },
      ]),
    );
  });

  it('launches nothing when instances tagged with the request id exist already', async () => {
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-9' }] }] });
    expect(await provisionRequest(requestId, deps(), claim)).toBe('running');
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(0);
    const filters = ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.Filters;
    expect(filters).toContainEqual({ Name: `tag:${REQUEST_TAG}`, Values: [requestId] });
    expect(
      ddb.commandCalls(UpdateCommand).at(-1)?.args[0].input.ExpressionAttributeValues?.[':instanceIds'],
    ).toEqual(['i-9']);
  });

  it('leaves a settled request alone', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...record, status: 'running', instanceIds: ['i-1'] } });
    expect(await provisionRequest(requestId, deps(), claim)).toBe('running');
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(0);
  });

  it.each([
    ['RequestLimitExceeded', 503],
    ['InsufficientInstanceCapacity', 500],
  ])('throws %s for the queue to retry, leaving the request launching', async (name, status) => {
    ec2.on(RunInstancesCommand).rejects(ec2Error(name, status));
    await expect(provisionRequest(requestId, deps(), claim)).rejects.toThrow(name);
    expect(statuses()).toEqual(['launching']);
  });

  it.each([
    ['InvalidAMIID.NotFound', 400],
    ['Unsupported', 400],
    ['InvalidParameterValue', 400],
  ])('fails the request on %s with the reason, without throwing', async (name, status) => {
    ec2.on(RunInstancesCommand).rejects(ec2Error(name, status));
    expect(await provisionRequest(requestId, deps(), claim)).toBe('failed');
    expect(statuses()).toEqual(['launching', 'failed']);
    expect(
      ddb.commandCalls(UpdateCommand)[1]?.args[0].input.ExpressionAttributeValues?.[':reason'],
    ).toContain(name);
  });

  it('claims the launch for this attempt until its deadline before looking for instances', async () => {
    ec2.on(RunInstancesCommand).resolves({ Instances: [{ InstanceId: 'i-1' }] });
    await provisionRequest(requestId, deps(), claim);
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.ExpressionAttributeValues).toMatchObject({
      ':s': 'launching',
      ':o': 'invocation-1',
      ':c': '2026-11-24T00:01:00.000Z',
    });
    expect(input?.ConditionExpression).toContain('#c < :u');
  });

  it('neither looks nor launches while another attempt holds the claim, and says so', async () => {
    ddb.on(UpdateCommand).rejects(new ConditionalCheckFailedException({ message: 'held', $metadata: {} }));
    await expect(provisionRequest(requestId, deps(), claim)).rejects.toThrow(
      `request ${requestId} is being launched by another attempt`,
    );
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(0);
    expect(ec2.commandCalls(RunInstancesCommand)).toHaveLength(0);
  });
});
