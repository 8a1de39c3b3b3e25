import { createHash } from 'node:crypto';
import { type CfnTemplate, makeResolver, type Physical } from '#local/template.ts';

/** The fixed account, region and stage the packaged template is evaluated for. */
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: Statement[];
}
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal?: unknown;
  readonly Action?: string | string[];
  readonly Resource?: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface RoleModel {
  readonly id: string;
  readonly name: string;
  readonly arn: string;
  /** The role's unique id, as `aws:userid` starts with it for the role's sessions. */
  readonly roleId: string;
  readonly policies: { readonly name: string; readonly document: PolicyDocument }[];
}

export interface FunctionModel {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  /** Queues the function's SQS event sources poll. */
  readonly eventSources: string[];
  /** The function's own dead-letter queue, for failed asynchronous invocations. */
  readonly deadLetterQueue?: string;
}

/** What the IAM check needs to know of a stack: names, ARNs, encryption keys and policies. */
export interface StackModel {
  readonly stage: string;
  /** The stack's name, `logvault-<stage>`, as the CLI looks it up. */
  readonly stackName: string;
  readonly roles: ReadonlyMap<string, RoleModel>;
  readonly functions: readonly FunctionModel[];
  /** Logical id → ARN (or URL for queues, name for tables) of every emulable resource. */
  arn(id: string): string;
  /** The resource's type, e.g. AWS::S3::Bucket, or undefined when the template has no such resource. */
  typeOf(id: string): string | undefined;
  /** The KMS key (logical id) that encrypts a bucket by default, a queue or a table. */
  keyOf(id: string): string | undefined;
  /** Whether a bucket encrypts with an S3 Bucket Key (KMS then sees the bucket, not the object). */
  bucketKeyEnabled(bucket: string): boolean;
  /** The role an instance profile passes. */
  roleOfProfile(profile: string): string | undefined;
  /** The resource policy on a bucket, key or queue. */
  resourcePolicy(id: string): PolicyDocument | undefined;
}

/** A fixed, valid-looking id per logical id, so ARNs are stable from run to run. */
function fakeId(id: string, length: number): string {
  return createHash('sha256').update(id).digest('hex').slice(0, length);
}

const keyIdOf = (id: string): string => {
  const h = fakeId(id, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
};

type Props = Record<string, unknown>;

/**
 * Resolves the packaged template for a stage, without creating anything: every resource gets the
 * name its properties give it (or a stable stand-in for ids AWS assigns, such as key ids), and
 * the local cloud's resolver (local/template.ts) evaluates the intrinsics with those.
 */
export async function stackModel(template: CfnTemplate, stage: string): Promise<StackModel> {
  const pseudo = { accountId: ACCOUNT, region: REGION, stackName: `logvault-${stage}` };
  const cache = new Map<string, Promise<Physical>>();
  const resolve = makeResolver(pseudo, (id) => physical(id), template);
  const props = async (id: string): Promise<Props> =>
    (await resolve(template.Resources[id]?.Properties ?? {})) as Props;
  const arn = (service: string, resource: string, account = ACCOUNT) =>
    `arn:aws:${service}:${REGION}:${account}:${resource}`;

  async function name(id: string, property: string): Promise<string> {
    const value = template.Resources[id]?.Properties?.[property];
    return value === undefined ? `${pseudo.stackName}-${id}` : String(await resolve(value));
  }

  async function create(id: string): Promise<Physical> {
    const type = template.Resources[id]?.Type;
    switch (type) {
      case 'AWS::S3::Bucket': {
        const bucket = (await name(id, 'BucketName')).toLowerCase();
        return { ref: bucket, attrs: { Arn: `arn:aws:s3:::${bucket}`, BucketName: bucket } };
      }
      case 'AWS::SQS::Queue': {
        const queue = await name(id, 'QueueName');
        const url = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${queue}`;
        return { ref: url, attrs: { Arn: arn('sqs', queue), QueueName: queue, QueueUrl: url } };
      }
      case 'AWS::KMS::Key': {
        const keyId = keyIdOf(id);
        return { ref: keyId, attrs: { Arn: arn('kms', `key/${keyId}`), KeyId: keyId } };
      }
      case 'AWS::IAM::Role': {
        const role = await name(id, 'RoleName');
        const roleId = `AROA${fakeId(id, 17).toUpperCase()}`;
        return { ref: role, attrs: { Arn: `arn:aws:iam::${ACCOUNT}:role/${role}`, RoleId: roleId } };
      }
      case 'AWS::IAM::InstanceProfile': {
        const profile = await name(id, 'InstanceProfileName');
        return { ref: profile, attrs: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/${profile}` } };
      }
      case 'AWS::DynamoDB::Table': {
        const table = await name(id, 'TableName');
        return { ref: table, attrs: { Arn: arn('dynamodb', `table/${table}`) } };
      }
      case 'AWS::Lambda::Function': {
        const fn = await name(id, 'FunctionName');
        return { ref: fn, attrs: { Arn: arn('lambda', `function:${fn}`) } };
      }
      case 'AWS::SNS::Topic': {
        const topic = await name(id, 'TopicName');
        return { ref: arn('sns', topic), attrs: { TopicName: topic } };
      }
      default:
        return { ref: id, attrs: { Arn: arn(type?.split('::')[1]?.toLowerCase() ?? 'unknown', id) } };
    }
  }

  function physical(id: string): Promise<Physical> {
    let p = cache.get(id);
    if (!p) {
      p = create(id);
      cache.set(id, p);
    }
    return p;
  }

  const ids = Object.keys(template.Resources);
  const arns = new Map<string, string>();
  for (const id of ids) {
    const p = await physical(id);
    arns.set(id, p.attrs.Arn ?? p.ref);
  }
  const ofType = (type: string) => ids.filter((id) => template.Resources[id]?.Type === type);
  // Names, URLs and ARNs back to logical ids (a role and its instance profile may share a name).
  const byRef = new Map<string, string>();
  for (const id of ids) {
    const p = await physical(id);
    for (const v of [p.ref, ...Object.values(p.attrs)]) if (!byRef.has(v)) byRef.set(v, id);
  }
  const idOf = (value: unknown) => byRef.get(String(value));

  const roles = new Map<string, RoleModel>();
  for (const id of ofType('AWS::IAM::Role')) {
    const p = await props(id);
    const phys = await physical(id);
    const policies = ((p.Policies as { PolicyName: string; PolicyDocument: PolicyDocument }[]) ?? []).map(
      (x) => ({ name: x.PolicyName, document: x.PolicyDocument }),
    );
    roles.set(id, {
      id,
      name: phys.ref,
      arn: phys.attrs.Arn as string,
      roleId: phys.attrs.RoleId as string,
      policies,
    });
  }

  const functions: FunctionModel[] = [];
  for (const id of ofType('AWS::Lambda::Function')) {
    const raw = template.Resources[id]?.Properties as { Role?: { 'Fn::GetAtt'?: [string, string] } };
    const p = await props(id);
    const role = raw.Role?.['Fn::GetAtt']?.[0] ?? '';
    const eventSources: string[] = [];
    for (const m of ofType('AWS::Lambda::EventSourceMapping')) {
      const mp = await props(m);
      if (idOf(mp.FunctionName) === id)
        eventSources.push(idOf(mp.EventSourceArn) ?? String(mp.EventSourceArn));
    }
    const dlq = (p.DeadLetterConfig as { TargetArn?: string } | undefined)?.TargetArn;
    functions.push({
      id,
      name: String(p.FunctionName),
      role,
      eventSources,
      ...(dlq ? { deadLetterQueue: idOf(dlq) ?? dlq } : {}),
    });
  }

  const keys = new Map<string, string>();
  const bucketKeys = new Set<string>();
  const policies = new Map<string, PolicyDocument>();
  const profiles = new Map<string, string>();
  for (const id of ids) {
    const type = template.Resources[id]?.Type;
    const p = await props(id);
    if (type === 'AWS::S3::Bucket') {
      const rule = (
        p.BucketEncryption as {
          ServerSideEncryptionConfiguration?: {
            BucketKeyEnabled?: boolean;
            ServerSideEncryptionByDefault?: { SSEAlgorithm?: string; KMSMasterKeyID?: string };
          }[];
        }
      )?.ServerSideEncryptionConfiguration?.[0];
      const key = rule?.ServerSideEncryptionByDefault?.KMSMasterKeyID;
      if (key) keys.set(id, idOf(key) ?? key);
      if (rule?.BucketKeyEnabled) bucketKeys.add(id);
    } else if (type === 'AWS::SQS::Queue' && p.KmsMasterKeyId) {
      keys.set(id, idOf(p.KmsMasterKeyId) ?? String(p.KmsMasterKeyId));
    } else if (type === 'AWS::DynamoDB::Table') {
      const sse = p.SSESpecification as { SSEEnabled?: boolean; KMSMasterKeyId?: string } | undefined;
      if (sse?.SSEEnabled && sse.KMSMasterKeyId) keys.set(id, idOf(sse.KMSMasterKeyId) ?? sse.KMSMasterKeyId);
    } else if (type === 'AWS::KMS::Key') {
      policies.set(id, p.KeyPolicy as PolicyDocument);
    } else if (type === 'AWS::S3::BucketPolicy') {
      const bucket = idOf(p.Bucket);
      if (bucket) policies.set(bucket, p.PolicyDocument as PolicyDocument);
    } else if (type === 'AWS::SQS::QueuePolicy') {
      for (const q of (p.Queues as string[]) ?? []) {
        const queue = idOf(q);
        if (queue) policies.set(queue, p.PolicyDocument as PolicyDocument);
      }
    } else if (type === 'AWS::IAM::InstanceProfile') {
      const name = ((p.Roles as string[]) ?? [])[0];
      const role = [...roles.values()].find((r) => r.name === name);
      if (role) profiles.set(id, role.id);
    }
  }

  return {
    stage,
    stackName: pseudo.stackName,
    roles,
    functions,
    arn: (id) => {
      const value = arns.get(id);
      if (value === undefined) throw new Error(`template: no resource named ${id}`);
      return value;
    },
    typeOf: (id) => template.Resources[id]?.Type,
    keyOf: (id) => keys.get(id),
    bucketKeyEnabled: (bucket) => bucketKeys.has(bucket),
    roleOfProfile: (profile) => profiles.get(profile),
    resourcePolicy: (id) => policies.get(id),
  };
}
