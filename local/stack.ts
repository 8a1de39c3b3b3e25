import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  EnableKeyRotationCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import {
  CreateBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketOwnershipControlsCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SetQueueAttributesCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { toEncryptionRules, toLifecycleRules, toNotificationConfiguration } from './s3-properties.ts';
import { findExisting, keyTags } from './stack-lookup.ts';
import { type CfnTemplate, makeResolver, type Physical, type Pseudo } from './template.ts';

/** Resources of these types exist in the local cloud; every other type is represented by its name only. */
export const EMULATED_TYPES = [
  'AWS::KMS::Key',
  'AWS::KMS::Alias',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::DynamoDB::Table',
  'AWS::IAM::Role',
  'AWS::IAM::InstanceProfile',
  'AWS::SNS::Topic',
  'AWS::SNS::Subscription',
  'AWS::CloudWatch::Alarm',
] as const;

// The deployment bucket only holds deploy artifacts; locally there is nothing to deploy.
const SKIPPED = new Set(['ServerlessDeploymentBucket', 'ServerlessDeploymentBucketPolicy']);

export interface LocalStack {
  readonly physical: ReadonlyMap<string, Physical>;
  /** Logical ids of the resources that exist: every one whose condition (if any) holds. */
  readonly active: ReadonlySet<string>;
  resolve(value: unknown): Promise<unknown>;
}

type Props = Record<string, unknown>;
interface PolicyDocument {
  Statement: { Condition?: { Bool?: Record<string, string> } }[];
}

/**
 * Calls a query-protocol API (SNS, CloudWatch) of the local emulator, for which logvault has no
 * SDK client. Moto picks the service from the credential scope and checks no signature; this
 * never talks to AWS. Answers the response body (XML).
 */
export async function emulatorQuery(
  service: 'sns' | 'monitoring',
  params: Record<string, string>,
  region: string,
): Promise<string> {
  const endpoint = process.env.AWS_ENDPOINT_URL;
  if (!endpoint) throw new Error('AWS_ENDPOINT_URL is not set: the local stack needs the emulator');
  const version = service === 'sns' ? '2010-03-31' : '2010-08-01';
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      'x-amz-date': date,
      authorization: `AWS4-HMAC-SHA256 Credential=test/${date.slice(0, 8)}/${region}/${service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=local`,
    },
    body: new URLSearchParams({ ...params, Version: version }).toString(),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${service} ${params.Action}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return text;
}

/** Flattens a list into query parameters: `Prefix.member.1`, `Prefix.member.2`, ... */
function members(prefix: string, values: readonly unknown[]): Record<string, string> {
  return Object.fromEntries(values.map((v, i) => [`${prefix}.member.${i + 1}`, String(v)]));
}

async function putAlarm(p: Props, region: string): Promise<void> {
  const dimensions = (p.Dimensions as { Name: string; Value: string }[] | undefined) ?? [];
  const optional = (name: string) => (p[name] === undefined ? {} : { [name]: String(p[name]) });
  await emulatorQuery(
    'monitoring',
    {
      Action: 'PutMetricAlarm',
      AlarmName: String(p.AlarmName),
      Namespace: String(p.Namespace),
      MetricName: String(p.MetricName),
      Statistic: String(p.Statistic),
      Period: String(p.Period),
      EvaluationPeriods: String(p.EvaluationPeriods),
      Threshold: String(p.Threshold),
      ComparisonOperator: String(p.ComparisonOperator),
      ...optional('AlarmDescription'),
      ...optional('TreatMissingData'),
      ...Object.fromEntries(
        dimensions.flatMap((d, i) => [
          [`Dimensions.member.${i + 1}.Name`, d.Name],
          [`Dimensions.member.${i + 1}.Value`, d.Value],
        ]),
      ),
      ...members('AlarmActions', (p.AlarmActions as unknown[]) ?? []),
      ...members('OKActions', (p.OKActions as unknown[]) ?? []),
    },
    region,
  );
}

/**
 * The emulator speaks plain HTTP on loopback, and moto evaluates `aws:SecureTransport`, so the
 * stack's deny-without-TLS statements would refuse every local request. They are left out
 * locally; every other statement is applied as written.
 */
export function withoutTlsOnly(doc: PolicyDocument): PolicyDocument {
  return { ...doc, Statement: doc.Statement.filter((s) => !s.Condition?.Bool?.['aws:SecureTransport']) };
}

/** Logical ids of the resources whose condition, if any, holds. */
export async function activeResources(
  template: CfnTemplate,
  resolve: ReturnType<typeof makeResolver>,
): Promise<Set<string>> {
  const active = new Set<string>();
  for (const [id, res] of Object.entries(template.Resources))
    if (!res.Condition || (await resolve.condition(res.Condition))) active.add(id);
  return active;
}

/**
 * Creates the template's buckets, queues, keys and tables in the emulator, with the same
 * properties the deployed stack gets, including what moto's own CloudFormation drops
 * (bucket notifications, policies, versioning, lifecycle and public access blocks).
 *
 * With `adopt`, each resource that already exists there under the template's name (a key: under
 * its alias or tags) is taken as it is, and only the missing ones are created: a stack whose
 * state file is gone is picked up rather than refused.
 */
export async function provisionStack(
  template: CfnTemplate,
  pseudo: Pseudo,
  opts: { adopt?: boolean } = {},
): Promise<LocalStack> {
  const s3 = new S3Client({ forcePathStyle: true });
  const sqs = new SQSClient({});
  const kms = new KMSClient({});
  const ddb = new DynamoDBClient({});
  const iam = new IAMClient({});
  const arn = (service: string, resource: string) =>
    `arn:aws:${service}:${pseudo.region}:${pseudo.accountId}:${resource}`;

  const done = new Map<string, Physical>();
  const pending = new Map<string, Promise<Physical>>();
  const resolve = makeResolver(pseudo, (id) => physical(id), template);
  const props = async (id: string): Promise<Props> =>
    (await resolve(template.Resources[id]?.Properties ?? {})) as Props;

  async function create(id: string): Promise<Physical> {
    try {
      return await createUnchecked(id);
    } catch (error) {
      const type = template.Resources[id]?.Type ?? 'unknown type';
      throw new Error(`local stack: creating ${id} (${type}) failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  async function createUnchecked(id: string): Promise<Physical> {
    const resource = template.Resources[id];
    if (!resource) throw new Error(`template: no resource named ${id}`);
    if (SKIPPED.has(id)) return { ref: id, attrs: {} };
    // A resource whose condition is false does not exist in the deployed stack either.
    if (resource.Condition && !(await resolve.condition(resource.Condition))) return { ref: id, attrs: {} };
    for (const dep of [resource.DependsOn ?? []].flat()) if (!SKIPPED.has(dep)) await physical(dep);
    const p = await props(id);
    if (opts.adopt) {
      const clients = { s3, sqs, kms, ddb, iam };
      const existing = await findExisting(clients, { template, pseudo, resolve }, id, resource.Type, p);
      if (existing) return existing;
    }
    switch (resource.Type) {
      case 'AWS::KMS::Key': {
        const key = await kms.send(
          new CreateKeyCommand({
            Description: p.Description as string,
            Policy: JSON.stringify(p.KeyPolicy),
            Tags: keyTags(pseudo.stackName, id),
          }),
        );
        const keyId = key.KeyMetadata?.KeyId ?? '';
        if (p.EnableKeyRotation) await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
        return { ref: keyId, attrs: { Arn: key.KeyMetadata?.Arn ?? '', KeyId: keyId } };
      }
      case 'AWS::KMS::Alias': {
        await kms.send(
          new CreateAliasCommand({ AliasName: p.AliasName as string, TargetKeyId: p.TargetKeyId as string }),
        );
        return { ref: p.AliasName as string, attrs: {} };
      }
      case 'AWS::SQS::Queue': {
        const name = (p.QueueName as string) ?? `${pseudo.stackName}-${id}`;
        const attributes: Record<string, string> = {};
        for (const [k, v] of Object.entries(p)) {
          if (k === 'QueueName' || k === 'Tags') continue;
          attributes[k] = typeof v === 'object' ? JSON.stringify(v) : String(v);
        }
        const { QueueUrl = '' } = await sqs.send(
          new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
        );
        return { ref: QueueUrl, attrs: { Arn: arn('sqs', name), QueueName: name, QueueUrl } };
      }
      case 'AWS::SQS::QueuePolicy': {
        for (const url of p.Queues as string[]) {
          await sqs.send(
            new SetQueueAttributesCommand({
              QueueUrl: url,
              Attributes: { Policy: JSON.stringify(p.PolicyDocument) },
            }),
          );
        }
        return { ref: id, attrs: {} };
      }
      case 'AWS::S3::Bucket':
        return createBucket(id, p);
      case 'AWS::S3::BucketPolicy': {
        const Policy = JSON.stringify(withoutTlsOnly(p.PolicyDocument as PolicyDocument));
        await s3.send(new PutBucketPolicyCommand({ Bucket: p.Bucket as string, Policy }));
        return { ref: id, attrs: {} };
      }
      case 'AWS::DynamoDB::Table': {
        const name = (p.TableName as string) ?? `${pseudo.stackName}-${id}`;
        await ddb.send(
          new CreateTableCommand({
            TableName: name,
            KeySchema: p.KeySchema as never,
            AttributeDefinitions: p.AttributeDefinitions as never,
            BillingMode: (p.BillingMode as never) ?? 'PAY_PER_REQUEST',
            GlobalSecondaryIndexes: p.GlobalSecondaryIndexes as never,
            ...(p.TableClass ? { TableClass: p.TableClass as never } : {}),
          }),
        );
        const ttl = p.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
        if (ttl)
          await ddb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }));
        return { ref: name, attrs: { Arn: arn('dynamodb', `table/${name}`) } };
      }
      case 'AWS::IAM::Role':
        return createRole(id, p);
      case 'AWS::IAM::InstanceProfile': {
        // EC2 refuses a launch whose instance profile is not in (moto's) IAM.
        const InstanceProfileName = (p.InstanceProfileName as string) ?? `${pseudo.stackName}-${id}`;
        const res = await iam.send(
          new CreateInstanceProfileCommand({ InstanceProfileName, Path: (p.Path as string) ?? '/' }),
        );
        for (const RoleName of (p.Roles as string[]) ?? [])
          await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName, RoleName }));
        return { ref: InstanceProfileName, attrs: { Arn: res.InstanceProfile?.Arn ?? '' } };
      }
      case 'AWS::SNS::Topic': {
        const name = (p.TopicName as string) ?? `${pseudo.stackName}-${id}`;
        const attributes: Record<string, string> = p.KmsMasterKeyId
          ? {
              'Attributes.entry.1.key': 'KmsMasterKeyId',
              'Attributes.entry.1.value': String(p.KmsMasterKeyId),
            }
          : {};
        const xml = await emulatorQuery(
          'sns',
          { Action: 'CreateTopic', Name: name, ...attributes },
          pseudo.region,
        );
        const topicArn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(xml)?.[1] ?? arn('sns', name);
        return { ref: topicArn, attrs: { TopicArn: topicArn, TopicName: name } };
      }
      case 'AWS::SNS::Subscription': {
        const params = {
          TopicArn: String(p.TopicArn),
          Protocol: String(p.Protocol),
          Endpoint: String(p.Endpoint),
        };
        const xml = await emulatorQuery('sns', { Action: 'Subscribe', ...params }, pseudo.region);
        return { ref: /<SubscriptionArn>([^<]+)<\/SubscriptionArn>/.exec(xml)?.[1] ?? id, attrs: {} };
      }
      case 'AWS::CloudWatch::Alarm': {
        await putAlarm(p, pseudo.region);
        return { ref: String(p.AlarmName), attrs: { Arn: arn('cloudwatch', `alarm:${p.AlarmName}`) } };
      }
      case 'AWS::Lambda::Function': {
        const name = (p.FunctionName as string) ?? id;
        return { ref: name, attrs: { Arn: arn('lambda', `function:${name}`) } };
      }
      default:
        return { ref: id, attrs: { Arn: arn(resource.Type.split('::')[1]?.toLowerCase() ?? 'local', id) } };
    }
  }

  async function createRole(id: string, p: Props): Promise<Physical> {
    const RoleName = (p.RoleName as string) ?? `${pseudo.stackName}-${id}`;
    const res = await iam.send(
      new CreateRoleCommand({
        RoleName,
        Path: (p.Path as string) ?? '/',
        AssumeRolePolicyDocument: JSON.stringify(p.AssumeRolePolicyDocument),
      }),
    );
    for (const policy of (p.Policies as { PolicyName: string; PolicyDocument: unknown }[]) ?? []) {
      await iam.send(
        new PutRolePolicyCommand({
          RoleName,
          PolicyName: policy.PolicyName,
          PolicyDocument: JSON.stringify(policy.PolicyDocument),
        }),
      );
    }
    return { ref: RoleName, attrs: { Arn: res.Role?.Arn ?? '', RoleId: res.Role?.RoleId ?? '' } };
  }

  async function createBucket(id: string, p: Props): Promise<Physical> {
    const Bucket = (p.BucketName as string) ?? `${pseudo.stackName}-${id}`.toLowerCase();
    await s3.send(
      new CreateBucketCommand({ Bucket, ObjectLockEnabledForBucket: Boolean(p.ObjectLockEnabled) }),
    );
    const versioning = p.VersioningConfiguration as { Status: 'Enabled' | 'Suspended' } | undefined;
    if (versioning)
      await s3.send(new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: versioning }));
    if (p.BucketEncryption) {
      const Rules = toEncryptionRules(p.BucketEncryption as never);
      await s3.send(new PutBucketEncryptionCommand({ Bucket, ServerSideEncryptionConfiguration: { Rules } }));
    }
    if (p.PublicAccessBlockConfiguration) {
      await s3.send(
        new PutPublicAccessBlockCommand({
          Bucket,
          PublicAccessBlockConfiguration: p.PublicAccessBlockConfiguration as never,
        }),
      );
    }
    if (p.OwnershipControls) {
      await s3.send(
        new PutBucketOwnershipControlsCommand({ Bucket, OwnershipControls: p.OwnershipControls as never }),
      );
    }
    if (p.LifecycleConfiguration) {
      await s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket,
          LifecycleConfiguration: { Rules: toLifecycleRules(p.LifecycleConfiguration as never) },
        }),
      );
    }
    if (p.NotificationConfiguration) {
      await s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket,
          NotificationConfiguration: toNotificationConfiguration(p.NotificationConfiguration as never),
        }),
      );
    }
    return { ref: Bucket, attrs: { Arn: `arn:aws:s3:::${Bucket}`, BucketName: Bucket } };
  }

  function physical(id: string): Promise<Physical> {
    const existing = pending.get(id);
    if (existing) return existing;
    const created = create(id).then((p) => {
      done.set(id, p);
      return p;
    });
    pending.set(id, created);
    return created;
  }

  const active = await activeResources(template, resolve);
  for (const [id, res] of Object.entries(template.Resources)) {
    if (!SKIPPED.has(id) && active.has(id) && (EMULATED_TYPES as readonly string[]).includes(res.Type))
      await physical(id);
  }
  // Event-source ARNs and environment variables also need the functions' and roles' names.
  for (const id of Object.keys(template.Resources))
    if (!SKIPPED.has(id)) await physical(id).catch(() => undefined);
  return { physical: done, active, resolve };
}

/** Reads a queue's redrive policy back from the emulator (used to prove the local stack matches). */
export async function queueAttributes(sqs: SQSClient, url: string): Promise<Record<string, string>> {
  const res = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return res.Attributes ?? {};
}
