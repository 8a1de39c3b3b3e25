import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetInstanceProfileCommand, GetRoleCommand, type IAMClient } from '@aws-sdk/client-iam';
import {
  DescribeKeyCommand,
  type KMSClient,
  ListResourceTagsCommand,
  paginateListAliases,
  paginateListKeys,
} from '@aws-sdk/client-kms';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetQueueUrlCommand, ListQueuesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { CfnTemplate, Physical, Pseudo } from './template.ts';

export interface LookupClients {
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly kms: KMSClient;
  readonly ddb: DynamoDBClient;
  readonly iam: IAMClient;
}

type Props = Record<string, unknown>;

const NOT_FOUND = /NotFound|NoSuch|NonExistent|does not exist|ResourceNotFound|404/i;

/** Runs a lookup; a "does not exist" answer is `undefined`, any other error is thrown. */
async function found<T>(lookup: () => Promise<T>): Promise<T | undefined> {
  try {
    return await lookup();
  } catch (error) {
    const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    if (e.$metadata?.httpStatusCode === 404 || NOT_FOUND.test(`${e.name} ${e.message}`)) return undefined;
    throw error;
  }
}

/** True when the emulator holds queues of this stack: a stack was created there before. */
export async function stackExistsIn(sqs: SQSClient, stackName: string): Promise<boolean> {
  const res = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: `${stackName}-` }));
  return (res.QueueUrls ?? []).length > 0;
}

/** The alias name the template gives a key: a key has no name of its own to be found by. */
async function aliasOf(template: CfnTemplate, keyId: string, resolve: (v: unknown) => Promise<unknown>) {
  for (const res of Object.values(template.Resources)) {
    if (res.Type !== 'AWS::KMS::Alias') continue;
    const target = res.Properties?.TargetKeyId as { Ref?: string; 'Fn::GetAtt'?: unknown[] } | undefined;
    if (target?.Ref === keyId || target?.['Fn::GetAtt']?.[0] === keyId)
      return String(await resolve(res.Properties?.AliasName));
  }
  return undefined;
}

const keyPhysical = (meta: { KeyId?: string; Arn?: string } | undefined, fallback: string): Physical => {
  const keyId = meta?.KeyId ?? fallback;
  return { ref: keyId, attrs: { Arn: meta?.Arn ?? '', KeyId: keyId } };
};

async function keyByAlias(kms: KMSClient, alias: string): Promise<Physical | undefined> {
  for await (const page of paginateListAliases({ client: kms }, {})) {
    const hit = page.Aliases?.find((a) => a.AliasName === alias);
    if (!hit?.TargetKeyId) continue;
    const key = await kms.send(new DescribeKeyCommand({ KeyId: hit.TargetKeyId }));
    return keyPhysical(key.KeyMetadata, hit.TargetKeyId);
  }
  return undefined;
}

/** Tags the local stack puts on each key it creates, since a key has no name to be found by. */
export const keyTags = (stackName: string, logicalId: string) => [
  { TagKey: 'logvault:stack', TagValue: stackName },
  { TagKey: 'logvault:logical-id', TagValue: logicalId },
];

/** A key of this stack by its tags or, for a key created without them, by its unique description. */
async function keyByTagOrDescription(kms: KMSClient, stackName: string, id: string, description: string) {
  const described: Physical[] = [];
  for await (const page of paginateListKeys({ client: kms }, {})) {
    for (const { KeyId } of page.Keys ?? []) {
      if (!KeyId) continue;
      const tags = (await kms.send(new ListResourceTagsCommand({ KeyId }))).Tags ?? [];
      const tag = (k: string) => tags.find((t) => t.TagKey === k)?.TagValue;
      const meta = (await kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata;
      if (meta?.KeyState === 'PendingDeletion') continue;
      if (tag('logvault:stack') === stackName && tag('logvault:logical-id') === id)
        return keyPhysical(meta, KeyId);
      if (tags.length === 0 && meta?.Description === description) described.push(keyPhysical(meta, KeyId));
    }
  }
  return described.length === 1 ? described[0] : undefined;
}

/**
 * Finds a resource of the stack that already exists in the emulator, by the name the template
 * gives it (keys by their alias), so that `logvault dev --endpoint` can adopt a stack whose state
 * file is gone instead of failing on the first name that is taken. Answers `undefined` when it
 * does not exist, and for types whose creation is idempotent (policies, topics, alarms), which
 * are simply created again.
 */
export async function findExisting(
  c: LookupClients,
  ctx: { template: CfnTemplate; pseudo: Pseudo; resolve: (v: unknown) => Promise<unknown> },
  id: string,
  type: string,
  p: Props,
): Promise<Physical | undefined> {
  const { pseudo } = ctx;
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${pseudo.region}:${pseudo.accountId}:${resource}`;
  switch (type) {
    case 'AWS::KMS::Key': {
      const alias = await aliasOf(ctx.template, id, ctx.resolve);
      const byAlias = alias ? await keyByAlias(c.kms, alias) : undefined;
      return byAlias ?? keyByTagOrDescription(c.kms, pseudo.stackName, id, String(p.Description));
    }
    case 'AWS::KMS::Alias': {
      const name = p.AliasName as string;
      return (await keyByAlias(c.kms, name)) ? { ref: name, attrs: {} } : undefined;
    }
    case 'AWS::SQS::Queue': {
      const name = (p.QueueName as string) ?? `${pseudo.stackName}-${id}`;
      const res = await found(() => c.sqs.send(new GetQueueUrlCommand({ QueueName: name })));
      const url = res?.QueueUrl;
      return url ? { ref: url, attrs: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } } : undefined;
    }
    case 'AWS::S3::Bucket': {
      const name = (p.BucketName as string) ?? `${pseudo.stackName}-${id}`.toLowerCase();
      const there = await found(() => c.s3.send(new HeadBucketCommand({ Bucket: name })));
      return there ? { ref: name, attrs: { Arn: `arn:aws:s3:::${name}`, BucketName: name } } : undefined;
    }
    case 'AWS::DynamoDB::Table': {
      const name = (p.TableName as string) ?? `${pseudo.stackName}-${id}`;
      const there = await found(() => c.ddb.send(new DescribeTableCommand({ TableName: name })));
      return there ? { ref: name, attrs: { Arn: arn('dynamodb', `table/${name}`) } } : undefined;
    }
    case 'AWS::IAM::Role': {
      const name = (p.RoleName as string) ?? `${pseudo.stackName}-${id}`;
      const res = await found(() => c.iam.send(new GetRoleCommand({ RoleName: name })));
      return res?.Role
        ? { ref: name, attrs: { Arn: res.Role.Arn ?? '', RoleId: res.Role.RoleId ?? '' } }
        : undefined;
    }
    case 'AWS::IAM::InstanceProfile': {
      const name = (p.InstanceProfileName as string) ?? `${pseudo.stackName}-${id}`;
      const res = await found(() => c.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name })));
      return res?.InstanceProfile ? { ref: name, attrs: { Arn: res.InstanceProfile.Arn ?? '' } } : undefined;
    }
    default:
      return undefined;
  }
}
