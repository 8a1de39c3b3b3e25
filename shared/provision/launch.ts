import type { Logger } from '@aws-lambda-powertools/logger';
import {
  DescribeImagesCommand,
  type EC2Client,
  paginateDescribeInstances,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { isAwsError } from '../errors.ts';
import { classifyEc2Error } from './classify.ts';
import {
  claimLaunch,
  getRequest,
  type LaunchClaim,
  type RequestRecord,
  type RequestStatus,
  type StoreDeps,
  setStatus,
} from './store.ts';
import { encodeUserData } from './user-data.ts';

export const REQUEST_TAG = 'logvault:request-id';
export const SOURCE_TAG = 'logvault:source';
export const STAGE_TAG = 'logvault:stage';
// AL2023's root snapshot is 8 GiB; the rest is room for the logs the instance keeps until shipped.
const ROOT_VOLUME_GIB = 16;

export interface UserDataInput {
  readonly ingestBucket: string;
  readonly region: string;
  readonly logPaths: string[];
  readonly backupFrequency: string;
  readonly requestId: string;
}

export interface LaunchConfig {
  readonly ingestBucket: string;
  readonly instanceProfileArn: string;
  readonly amiParameter: string;
  readonly stage: string;
  readonly region: string;
}

export interface LaunchDeps {
  readonly ec2: EC2Client;
  readonly ssm: SSMClient;
  readonly store: StoreDeps;
  readonly config: LaunchConfig;
  readonly renderUserData: (input: UserDataInput) => string;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/** Instances (not terminated) already launched for a request, found by its tag. */
export async function findLaunched(ec2: EC2Client, requestId: string): Promise<string[]> {
  const ids: string[] = [];
  const filters = [
    { Name: `tag:${REQUEST_TAG}`, Values: [requestId] },
    { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
  ];
  for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters: filters })) {
    for (const r of page.Reservations ?? [])
      for (const i of r.Instances ?? []) if (i.InstanceId) ids.push(i.InstanceId);
  }
  return ids;
}

/**
 * The latest Amazon Linux 2023 arm64 AMI, read from AWS's public SSM parameter as AWS recommends.
 * An emulator without the public parameters gets the newest matching image EC2 lists instead.
 */
export async function resolveImageId(ec2: EC2Client, ssm: SSMClient, parameter: string): Promise<string> {
  try {
    const res = await ssm.send(new GetParameterCommand({ Name: parameter }));
    if (res.Parameter?.Value) return res.Parameter.Value;
  } catch (error) {
    if (!isAwsError(error, 'ParameterNotFound')) throw error;
  }
  const images = await ec2.send(
    new DescribeImagesCommand({
      Owners: ['amazon'],
      Filters: [
        { Name: 'name', Values: ['al2023-ami-2023*'] },
        { Name: 'architecture', Values: ['arm64'] },
      ],
    }),
  );
  const newest = (images.Images ?? [])
    .filter((i) => i.ImageId && !i.Name?.includes('minimal'))
    .sort((a, b) => String(b.CreationDate).localeCompare(String(a.CreationDate)))[0];
  if (!newest?.ImageId)
    throw new Error(`no AMI: ${parameter} is not set and no al2023 arm64 image is listed`);
  return newest.ImageId;
}

function tagsFor(record: RequestRecord, stage: string): Tag[] {
  return [
    ...record.request.tags.map(({ key, value }) => ({ Key: key, Value: value })),
    { Key: 'Name', Value: record.request.name },
    { Key: REQUEST_TAG, Value: record.requestId },
    { Key: SOURCE_TAG, Value: record.request.name },
    { Key: STAGE_TAG, Value: stage },
  ];
}

async function runInstances(record: RequestRecord, deps: LaunchDeps): Promise<string[]> {
  const { request, requestId } = record;
  const { config } = deps;
  const imageId = request.imageId ?? (await resolveImageId(deps.ec2, deps.ssm, config.amiParameter));
  const userData = deps.renderUserData({
    ingestBucket: config.ingestBucket,
    region: config.region,
    logPaths: request.logPaths,
    backupFrequency: request.backupFrequency,
    requestId,
  });
  const tags = tagsFor(record, config.stage);
  const res = await deps.ec2.send(
    new RunInstancesCommand({
      // EC2 treats a repeated token as the same launch; moto does not, hence findLaunched first.
      ClientToken: requestId,
      ImageId: imageId,
      InstanceType: request.instanceType as never,
      MinCount: request.count,
      MaxCount: request.count,
      SubnetId: request.subnetId,
      SecurityGroupIds: request.securityGroupIds,
      IamInstanceProfile: { Arn: config.instanceProfileArn },
      MetadataOptions: { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [
        {
          DeviceName: '/dev/xvda',
          Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: ROOT_VOLUME_GIB, DeleteOnTermination: true },
        },
      ],
      UserData: encodeUserData(userData).toString('base64'),
      TagSpecifications: [
        { ResourceType: 'instance', Tags: tags },
        { ResourceType: 'volume', Tags: tags },
      ],
    }),
  );
  return (res.Instances ?? []).map((i) => i.InstanceId ?? '').filter(Boolean);
}

/**
 * Carries out one queued request. Idempotent: a request already settled is left alone, and one
 * whose instances exist (a retry after a crash, or a duplicate delivery) is marked running without
 * launching again. The claim is taken before looking for instances and held until the attempt's
 * deadline, so no two attempts ever both look, find nothing and launch. Permanent EC2 errors fail
 * the request; transient ones are thrown for the queue.
 */
export async function provisionRequest(
  requestId: string,
  deps: LaunchDeps,
  claim: LaunchClaim,
): Promise<RequestStatus> {
  const record = await getRequest(deps.store, requestId);
  if (!record) throw new Error(`request ${requestId} is not in the requests table`);
  if (record.status === 'running' || record.status === 'failed') return record.status;
  await claimLaunch(deps.store, requestId, claim);

  let instanceIds = await findLaunched(deps.ec2, requestId);
  if (instanceIds.length > 0) deps.logger.info('instances already launched', { requestId, instanceIds });
  else {
    try {
      instanceIds = await runInstances(record, deps);
    } catch (error) {
      if (classifyEc2Error(error) === 'transient') throw error;
      const reason = `${(error as Error).name}: ${(error as Error).message}`;
      deps.logger.warn('launch refused', { requestId, reason });
      await setStatus(deps.store, requestId, 'failed', { reason });
      return 'failed';
    }
    deps.logger.info('launched', { requestId, instanceIds });
  }
  await setStatus(deps.store, requestId, 'running', { instanceIds });
  return 'running';
}

/** Instances logvault launched on this stage, optionally only those of one source. */
export async function listLaunched(
  ec2: EC2Client,
  stage: string,
  source?: string,
): Promise<
  { instanceId: string; state: string; source: string; requestId: string; tags: Record<string, string> }[]
> {
  const filters = [
    { Name: `tag:${STAGE_TAG}`, Values: [stage] },
    ...(source ? [{ Name: `tag:${SOURCE_TAG}`, Values: [source] }] : []),
  ];
  const out = [];
  for await (const page of paginateDescribeInstances({ client: ec2 }, { Filters: filters })) {
    for (const r of page.Reservations ?? [])
      for (const i of r.Instances ?? []) {
        const tags = Object.fromEntries((i.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
        out.push({
          instanceId: i.InstanceId ?? '',
          state: i.State?.Name ?? 'unknown',
          source: tags[SOURCE_TAG] ?? '',
          requestId: tags[REQUEST_TAG] ?? '',
          tags,
        });
      }
  }
  return out;
}
