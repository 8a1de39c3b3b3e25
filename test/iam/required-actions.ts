import { type RecordedCall, USERID } from './calls.ts';
import { ACCOUNT, REGION, type StackModel } from './stack-model.ts';

/**
 * Which IAM actions each AWS call needs, on which resources, with which request context: the
 * permission of the operation itself and those AWS checks on the caller's behalf (KMS behind
 * SSE-KMS and encrypted queues and tables, tagging and Object Lock headers, versions, PassRole,
 * tags at launch). Each rule cites the AWS documentation it comes from.
 */

export interface DocRef {
  readonly page: string;
  readonly url: string;
  /** Quoted from the page where given in quotation marks; otherwise what the page says, in short. */
  readonly says: string;
}

export interface Requirement {
  readonly action: string;
  /** The ARN the action is authorised against (`*` for actions without resource-level permissions). */
  readonly resource: string;
  /** Logical id of the resource whose own policy (bucket, key or queue policy) also applies. */
  readonly policyOf?: string;
  readonly context: Readonly<Record<string, string | string[]>>;
  readonly source: DocRef;
}

/** The role session a call is made in. */
export interface Session {
  readonly userId: string;
}

const S3_SAR = 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html';
const s3Api = (op: string) => `https://docs.aws.amazon.com/AmazonS3/latest/API/API_${op}.html`;

export const DOCS = {
  putObject: {
    page: 'Amazon S3 API Reference, PutObject, Permissions',
    url: s3Api('PutObject'),
    says: '"To successfully complete the PutObject request, you must always have the s3:PutObject permission on a bucket to add an object to it." "To successfully set the tag-set with your PutObject request, you must have the s3:PutObjectTagging."',
  },
  objectLockHeaders: {
    page: 'Actions, resources, and condition keys for Amazon S3 (PutObjectRetention, PutObjectLegalHold)',
    url: S3_SAR,
    says: 'PutObjectRetention and PutObjectLegalHold grant placing a retention or a legal hold on an object; S3 checks them for the x-amz-object-lock-* headers of a PUT too. PutObjectRetention API: "Users or accounts require the s3:PutObjectRetention permission in order to place an Object Retention configuration on objects."',
  },
  getObject: {
    page: 'Amazon S3 API Reference, GetObject, Permissions',
    url: s3Api('GetObject'),
    says: '"If you include a versionId in your request header, you must have the s3:GetObjectVersion permission to access a specific version of an object. The s3:GetObject permission is not required in this scenario." "If you have the s3:ListBucket permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error." "If you don\'t have the s3:ListBucket permission, Amazon S3 returns an HTTP status code 403 Access Denied error."',
  },
  headObject: {
    page: 'Amazon S3 API Reference, HeadObject, Permissions',
    url: s3Api('HeadObject'),
    says: '"To use HEAD, you must have the s3:GetObject permission." "If you have the s3:ListBucket permission on the bucket, Amazon S3 returns an HTTP status code 404 Not Found error."',
  },
  headObjectLockState: {
    page: 'Amazon S3 API Reference, HeadObject, Response Syntax (x-amz-object-lock-mode, x-amz-object-lock-legal-hold)',
    url: s3Api('HeadObject'),
    says: '"This header is only returned if the requester has the s3:GetObjectRetention permission." (lock mode) and "This field is only returned if you have permission to view an object\'s legal hold status." (legal hold)',
  },
  deleteObject: {
    page: 'Amazon S3 API Reference, DeleteObject / DeleteObjects, Permissions',
    url: s3Api('DeleteObject'),
    says: '"To remove an object from a bucket, you must always have the s3:DeleteObject permission." "To delete a specific version of an object from a versioning-enabled bucket, you must have the s3:DeleteObjectVersion permission."',
  },
  multipart: {
    page: 'Amazon S3 API Reference, CreateMultipartUpload / UploadPart / CompleteMultipartUpload, Permissions',
    url: s3Api('CreateMultipartUpload'),
    says: 'Parts are written with s3:PutObject. "To perform a multipart upload with encryption using an AWS KMS key, the requester must have permission to the kms:Decrypt and kms:GenerateDataKey actions on the key. The requester must also have permissions for the kms:GenerateDataKey action for the CreateMultipartUpload API. Then, the requester needs permissions for the kms:Decrypt action on the UploadPart and UploadPartCopy APIs."',
  },
  abortMultipart: {
    page: 'Actions, resources, and condition keys for Amazon S3 (AbortMultipartUpload)',
    url: S3_SAR,
    says: 'The action s3:AbortMultipartUpload grants the API AbortMultipartUpload, on the object resource type.',
  },
  listMultipartUploads: {
    page: 'Actions, resources, and condition keys for Amazon S3 (ListBucketMultipartUploads); S3 User Guide, Multipart upload API and permissions',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions',
    says: 'The API ListMultipartUploads is authorised by the action s3:ListBucketMultipartUploads, on the bucket resource type (not s3:ListBucket).',
  },
  listObjects: {
    page: 'Amazon S3 API Reference, ListObjectsV2 / ListObjectVersions, Permissions',
    url: s3Api('ListObjectsV2'),
    says: 'ListObjectsV2: "You must have permission to perform the s3:ListBucket action." ListObjectVersions: "To use this operation, you must have permission to perform the s3:ListBucketVersions action."',
  },
  legalHold: {
    page: 'Actions, resources, and condition keys for Amazon S3 (PutObjectLegalHold, condition key s3:object-lock-legal-hold)',
    url: S3_SAR,
    says: 'The action s3:PutObjectLegalHold grants the API PutObjectLegalHold; the condition key s3:object-lock-legal-hold filters it by the legal hold status requested (ON or OFF).',
  },
  restoreObject: {
    page: 'Amazon S3 API Reference, RestoreObject, Permissions',
    url: s3Api('RestoreObject'),
    says: '"To use this operation, you must have permissions to perform the s3:RestoreObject action."',
  },
  sseKms: {
    page: 'Amazon S3 User Guide, Using server-side encryption with AWS KMS keys (SSE-KMS)',
    url: 'https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html',
    says: '"To upload an object encrypted with an AWS KMS key to Amazon S3, you need kms:GenerateDataKey permissions on the key. To download an object encrypted with an AWS KMS key, you need kms:Decrypt permissions." With an S3 Bucket Key the encryption context is the bucket ARN, otherwise the object ARN; KMS sees the call via s3.<region>.amazonaws.com (kms:ViaService).',
  },
  sqs: {
    page: 'Amazon SQS Developer Guide, Amazon SQS API permissions: Actions and resource reference',
    url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html',
    says: 'Each API is authorised by the action of its name on the queue; the batch APIs by the single ones (SendMessageBatch: sqs:SendMessage, DeleteMessageBatch: sqs:DeleteMessage, ChangeMessageVisibilityBatch: sqs:ChangeMessageVisibility).',
  },
  sqsKms: {
    page: 'Amazon SQS Developer Guide, Amazon SQS key management (Configuring AWS KMS permissions)',
    url: 'https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html',
    says: 'With a customer managed key, producers of an encrypted queue need kms:GenerateDataKey and kms:Decrypt on it, consumers kms:Decrypt; SQS calls KMS on their behalf (kms:ViaService sqs.<region>.amazonaws.com).',
  },
  dynamodb: {
    page: 'Actions, resources, and condition keys for Amazon DynamoDB',
    url: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html',
    says: 'Each item API is authorised by the action of its name on the table.',
  },
  dynamodbIndex: {
    page: 'Actions, resources, and condition keys for Amazon DynamoDB (Query, Scan; resource type index)',
    url: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html',
    says: 'Query and Scan name the resource types table and index; a request with IndexName is authorised on the index, arn:aws:dynamodb:<region>:<account>:table/<table>/index/<index>, not on the table.',
  },
  dynamodbKms: {
    page: 'AWS KMS Developer Guide, How Amazon DynamoDB uses AWS KMS (Authorizing use of your customer managed key)',
    url: 'https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html',
    says: 'For a table under a customer managed key, principals that use the table need the key through DynamoDB (kms:ViaService dynamodb.<region>.amazonaws.com, kms:CallerAccount); DynamoDB decrypts the table key with kms:Decrypt when the table is accessed.',
  },
  kms: {
    page: 'Actions, resources, and condition keys for AWS Key Management Service',
    url: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html',
    says: 'Each KMS API is authorised by the action of its name on the key; the key policy must allow it (for a key whose policy does not delegate to IAM, only the key policy can).',
  },
  runInstances: {
    page: 'Amazon EC2 User Guide, Example policies: launch instances (RunInstances); Actions, resources, and condition keys for Amazon EC2',
    url: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ExamplePolicies_EC2.html#iam-example-runinstances',
    says: 'RunInstances is authorised on every resource it uses or creates: the image, the instance, its volumes, network interface, security group and subnet.',
  },
  tagOnCreate: {
    page: 'Amazon EC2 User Guide, Grant permission to tag Amazon EC2 resources during creation',
    url: 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/supported-iam-actions-tagging.html',
    says: 'Tagging resources in the launch request also needs ec2:CreateTags on them; the condition key ec2:CreateAction names the creating action (RunInstances).',
  },
  passRole: {
    page: 'IAM User Guide, Grant a user permissions to pass a role to an AWS service; Amazon EC2 User Guide, IAM roles for Amazon EC2',
    url: 'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html',
    says: "Launching an instance with an instance profile needs iam:PassRole on the profile's role; iam:PassedToService is ec2.amazonaws.com.",
  },
  describeEc2: {
    page: 'Actions, resources, and condition keys for Amazon EC2',
    url: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
    says: 'DescribeInstances and DescribeImages support no resource-level permissions: they are allowed on "*" only.',
  },
  ssm: {
    page: 'Actions, resources, and condition keys for AWS Systems Manager',
    url: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html',
    says: 'ssm:GetParameter on the parameter; AWS public parameters have no account in their ARN.',
  },
  describeStacks: {
    page: 'Actions, resources, and condition keys for AWS CloudFormation (DescribeStacks)',
    url: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html',
    says: 'cloudformation:DescribeStacks grants the API DescribeStacks, on the stack resource type (arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>).',
  },
  getCallerIdentity: {
    page: 'AWS STS API Reference, GetCallerIdentity',
    url: 'https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html',
    says: '"No permissions are required to perform this operation."',
  },
  lambdaSqs: {
    page: 'AWS Lambda Developer Guide, Using Lambda with Amazon SQS (Execution role permissions)',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions',
    says: '"Lambda needs the following permissions to manage messages in your Amazon SQS queue. Add them to your function\'s execution role." sqs:ReceiveMessage, sqs:DeleteMessage, sqs:GetQueueAttributes. A queue under a customer managed key also needs kms:Decrypt.',
  },
  lambdaLogs: {
    page: 'AWS Lambda Developer Guide, Sending Lambda function logs to CloudWatch Logs',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html',
    says: "The execution role needs logs:CreateLogStream and logs:PutLogEvents on the function's log group (logs:CreateLogGroup only when Lambda must create the group; the stack creates it).",
  },
  lambdaDlq: {
    page: 'AWS Lambda Developer Guide, Asynchronous invocation, dead-letter queues',
    url: 'https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html',
    says: '"To send events to a queue or topic, your function needs additional permissions. Add a policy with the required permissions to your function\'s execution role." Amazon SQS: sqs:SendMessage; under a customer managed key the role needs the key too.',
  },
} as const satisfies Record<string, DocRef>;

/** Sample values for the parts of a resource the recording reduced to a pattern. */
export const SAMPLE = {
  key: 'logvault-sample-key',
  ec2: {
    instance: 'i-0a1b2c3d4e5f60718',
    volume: 'vol-0a1b2c3d4e5f60718',
    'network-interface': 'eni-0a1b2c3d4e5f60718',
    'security-group': 'sg-0a1b2c3d4e5f60718',
    subnet: 'subnet-0a1b2c3d4e5f60718',
    image: 'ami-0a1b2c3d4e5f60718',
  },
} as const;

/** A concrete key for a key pattern: `archive/*` becomes `archive/logvault-sample-key`. */
export function sampleKey(pattern: string, session: Session): string {
  return pattern.replace(USERID, session.userId).replace(/\*$/, SAMPLE.key);
}

/** The role whose decisions read an object's lock state from HEAD (shared/sweep/head.ts, decide.ts). */
const READS_LOCK_STATE = new Set(['SweepFunctionRole']);

type Rule = (call: RecordedCall, model: StackModel, session: Session) => Requirement[];

const has = (call: RecordedCall, feature: string) => (call.with ?? []).includes(feature);
const hasPrefix = (call: RecordedCall, prefix: string) =>
  (call.with ?? []).find((f) => f.startsWith(prefix))?.slice(prefix.length);

function req(
  action: string,
  resource: string,
  source: DocRef,
  policyOf?: string,
  context: Record<string, string | string[]> = {},
): Requirement {
  return { action, resource, source, context, ...(policyOf ? { policyOf } : {}) };
}

/** A resource the stack does not define stands for itself. */
function external(id: string): string | undefined {
  return id.startsWith('external:') ? id.slice('external:'.length) : undefined;
}

function bucketArn(call: RecordedCall, model: StackModel): string {
  const bucket = call.resource ?? '';
  return external(bucket) ? `arn:aws:s3:::${external(bucket)}` : model.arn(bucket);
}

function objectArn(call: RecordedCall, model: StackModel, session: Session): string {
  return `${bucketArn(call, model)}/${sampleKey(call.key ?? '*', session)}`;
}

const policyOfResource = (call: RecordedCall) =>
  call.resource && !external(call.resource) ? call.resource : undefined;

/** KMS on the caller's behalf: the key, the service in kms:ViaService, and its encryption context. */
function viaService(
  actions: readonly string[],
  key: string,
  service: 's3' | 'sqs' | 'dynamodb',
  model: StackModel,
  source: DocRef,
  encryptionContext: Record<string, string> = {},
): Requirement[] {
  return actions.map((action) =>
    req(action, model.arn(key), source, key, {
      'kms:ViaService': `${service}.${REGION}.amazonaws.com`,
      'kms:CallerAccount': ACCOUNT,
      ...encryptionContext,
    }),
  );
}

/** The key S3 encrypts an object with: the request's SSE-KMS key, else the bucket's default. */
function s3Key(call: RecordedCall, model: StackModel): string | undefined {
  const named = hasPrefix(call, 'sse-kms:');
  if (named) return external(named) ? undefined : named;
  return call.resource && !external(call.resource) ? model.keyOf(call.resource) : undefined;
}

function s3Kms(actions: readonly string[], call: RecordedCall, model: StackModel, session: Session) {
  const key = s3Key(call, model);
  if (!key || !call.resource) return [];
  const bucketKey = has(call, 'bucketKey') || model.bucketKeyEnabled(call.resource);
  const arn = bucketKey ? bucketArn(call, model) : objectArn(call, model, session);
  return viaService(actions, key, 's3', model, DOCS.sseKms, { 'kms:EncryptionContext:aws:s3:arn': arn });
}

/** What a PUT's headers add: tags, Object Lock retention, a legal hold. */
function writeHeaders(call: RecordedCall, object: string, policyOf: string | undefined): Requirement[] {
  const out: Requirement[] = [];
  if (has(call, 'tagging')) out.push(req('s3:PutObjectTagging', object, DOCS.putObject, policyOf));
  if (has(call, 'objectLock'))
    out.push(req('s3:PutObjectRetention', object, DOCS.objectLockHeaders, policyOf));
  const hold = hasPrefix(call, 'legalHold:');
  if (hold)
    out.push(
      req('s3:PutObjectLegalHold', object, DOCS.objectLockHeaders, policyOf, {
        's3:object-lock-legal-hold': hold,
      }),
    );
  return out;
}

const readObject =
  (withKms: boolean): Rule =>
  (call, model, session) => {
    const object = objectArn(call, model, session);
    const at = policyOfResource(call);
    const versioned = has(call, 'versionId');
    const doc = withKms ? DOCS.getObject : DOCS.headObject;
    const out = [
      req(versioned ? 's3:GetObjectVersion' : 's3:GetObject', object, doc, at),
      // Every read of logvault's tells a missing key (404) from a denied one: that takes ListBucket.
      req('s3:ListBucket', bucketArn(call, model), doc, at),
    ];
    if (withKms) out.push(...s3Kms(['kms:Decrypt'], call, model, session));
    if (!withKms && READS_LOCK_STATE.has(call.principal)) {
      out.push(
        req('s3:GetObjectRetention', object, DOCS.headObjectLockState, at),
        req('s3:GetObjectLegalHold', object, DOCS.headObjectLockState, at),
      );
    }
    return out;
  };

const writeObject =
  (kmsActions: readonly string[], doc: DocRef, headers: boolean): Rule =>
  (call, model, session) => {
    const object = objectArn(call, model, session);
    const at = policyOfResource(call);
    return [
      req('s3:PutObject', object, doc, at),
      ...(headers ? writeHeaders(call, object, at) : []),
      ...s3Kms(kmsActions, call, model, session),
    ];
  };

const deleteObject: Rule = (call, model, session) => [
  req(
    has(call, 'versionId') ? 's3:DeleteObjectVersion' : 's3:DeleteObject',
    objectArn(call, model, session),
    DOCS.deleteObject,
    policyOfResource(call),
  ),
];

const onObject =
  (action: string, doc: DocRef): Rule =>
  (call, model, session) => [req(action, objectArn(call, model, session), doc, policyOfResource(call))];

const onBucket =
  (action: string, doc: DocRef): Rule =>
  (call, model) => {
    const context: Record<string, string> = call.prefix
      ? { 's3:prefix': call.prefix.replace(/\*$/, '') }
      : {};
    return [req(action, bucketArn(call, model), doc, policyOfResource(call), context)];
  };

function queueArn(call: RecordedCall, model: StackModel): string {
  const queue = call.resource ?? '';
  const name = external(queue);
  return name ? `arn:aws:sqs:${REGION}:${ACCOUNT}:${name.split('/').pop()}` : model.arn(queue);
}

const onQueue =
  (action: string, kmsActions: readonly string[], doc: DocRef = DOCS.sqs): Rule =>
  (call, model) => {
    const queue = call.resource ?? '';
    const key = external(queue) ? undefined : model.keyOf(queue);
    return [
      req(action, queueArn(call, model), doc, policyOfResource(call)),
      ...(key
        ? viaService(kmsActions, key, 'sqs', model, DOCS.sqsKms, {
            'kms:EncryptionContext:aws:sqs:arn': queueArn(call, model),
          })
        : []),
    ];
  };

const onTable =
  (action: string): Rule =>
  (call, model) => {
    const table = call.resource ?? '';
    const name = external(table);
    const arn = name ? `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}` : model.arn(table);
    const key = name ? undefined : model.keyOf(table);
    // A Query or Scan of a secondary index is authorised on the index, not the table.
    const index = hasPrefix(call, 'index:');
    return [
      index ? req(action, `${arn}/index/${index}`, DOCS.dynamodbIndex) : req(action, arn, DOCS.dynamodb),
      ...(key ? viaService(['kms:Decrypt'], key, 'dynamodb', model, DOCS.dynamodbKms) : []),
    ];
  };

const onKey =
  (action: string): Rule =>
  (call, model) => {
    const key = call.resource ?? '';
    const arn = external(key) ?? model.arn(key);
    return [req(action, arn, DOCS.kms, external(key) ? undefined : key)];
  };

const ec2Arn = (type: keyof typeof SAMPLE.ec2) =>
  type === 'image'
    ? `arn:aws:ec2:${REGION}::image/${SAMPLE.ec2.image}`
    : `arn:aws:ec2:${REGION}:${ACCOUNT}:${type}/${SAMPLE.ec2[type]}`;

const runInstances: Rule = (call, model) => {
  const types = ['image', 'instance', 'volume', 'network-interface', 'security-group', 'subnet'] as const;
  const out = types.map((t) => req('ec2:RunInstances', ec2Arn(t), DOCS.runInstances));
  for (const t of (call.with ?? []).filter((f) => f.startsWith('tags:'))) {
    const type = t.slice('tags:'.length) as keyof typeof SAMPLE.ec2;
    out.push(
      req('ec2:CreateTags', ec2Arn(type), DOCS.tagOnCreate, undefined, {
        'ec2:CreateAction': 'RunInstances',
      }),
    );
  }
  const profile = hasPrefix(call, 'instanceProfile:');
  if (profile) {
    const role = external(profile) ? undefined : model.roleOfProfile(profile);
    const arn = role ? model.arn(role) : `arn:aws:iam::${ACCOUNT}:role/${profile}`;
    out.push(
      req('iam:PassRole', arn, DOCS.passRole, undefined, { 'iam:PassedToService': 'ec2.amazonaws.com' }),
    );
  }
  return out;
};

const parameter: Rule = (call) => {
  const name = call.resource ?? '';
  // AWS's public parameters live in no account of ours.
  const account = name.startsWith('/aws/service/') ? '' : ACCOUNT;
  return [req('ssm:GetParameter', `arn:aws:ssm:${REGION}:${account}:parameter${name}`, DOCS.ssm)];
};

/** The rules, by `service:Operation` as recorded. */
const RULES: Record<string, Rule> = {
  's3:PutObject': writeObject(['kms:GenerateDataKey'], DOCS.putObject, true),
  's3:CreateMultipartUpload': writeObject(['kms:GenerateDataKey', 'kms:Decrypt'], DOCS.multipart, true),
  's3:UploadPart': writeObject(['kms:Decrypt'], DOCS.multipart, false),
  's3:CompleteMultipartUpload': writeObject(['kms:Decrypt'], DOCS.multipart, false),
  's3:AbortMultipartUpload': onObject('s3:AbortMultipartUpload', DOCS.abortMultipart),
  's3:ListMultipartUploads': onBucket('s3:ListBucketMultipartUploads', DOCS.listMultipartUploads),
  's3:GetObject': readObject(true),
  's3:HeadObject': readObject(false),
  's3:DeleteObject': deleteObject,
  // Authorised per key, as a DeleteObject of each (recorded as one call per key pattern).
  's3:DeleteObjects': deleteObject,
  's3:ListObjectsV2': onBucket('s3:ListBucket', DOCS.listObjects),
  's3:ListObjectVersions': onBucket('s3:ListBucketVersions', DOCS.listObjects),
  's3:PutObjectLegalHold': (call, model, session) =>
    writeHeaders(call, objectArn(call, model, session), policyOfResource(call)).map((r) => ({
      ...r,
      source: DOCS.legalHold,
    })),
  's3:RestoreObject': onObject('s3:RestoreObject', DOCS.restoreObject),
  'sqs:SendMessage': onQueue('sqs:SendMessage', ['kms:GenerateDataKey', 'kms:Decrypt']),
  'sqs:SendMessageBatch': onQueue('sqs:SendMessage', ['kms:GenerateDataKey', 'kms:Decrypt']),
  'sqs:ReceiveMessage': onQueue('sqs:ReceiveMessage', ['kms:Decrypt']),
  'sqs:DeleteMessage': onQueue('sqs:DeleteMessage', []),
  'sqs:DeleteMessageBatch': onQueue('sqs:DeleteMessage', []),
  'sqs:ChangeMessageVisibility': onQueue('sqs:ChangeMessageVisibility', []),
  'sqs:ChangeMessageVisibilityBatch': onQueue('sqs:ChangeMessageVisibility', []),
  'sqs:GetQueueAttributes': onQueue('sqs:GetQueueAttributes', []),
  'dynamodb:PutItem': onTable('dynamodb:PutItem'),
  'dynamodb:GetItem': onTable('dynamodb:GetItem'),
  'dynamodb:UpdateItem': onTable('dynamodb:UpdateItem'),
  'dynamodb:DeleteItem': onTable('dynamodb:DeleteItem'),
  'dynamodb:Query': onTable('dynamodb:Query'),
  'dynamodb:Scan': onTable('dynamodb:Scan'),
  'kms:GenerateDataKey': onKey('kms:GenerateDataKey'),
  'kms:Decrypt': onKey('kms:Decrypt'),
  'kms:Encrypt': onKey('kms:Encrypt'),
  'kms:DescribeKey': onKey('kms:DescribeKey'),
  'ec2:RunInstances': runInstances,
  'ec2:DescribeInstances': () => [req('ec2:DescribeInstances', '*', DOCS.describeEc2)],
  'ec2:DescribeImages': () => [req('ec2:DescribeImages', '*', DOCS.describeEc2)],
  'ssm:GetParameter': parameter,
  'sts:GetCallerIdentity': () => [],
  'cloudformation:DescribeStacks': (call) => [
    req(
      'cloudformation:DescribeStacks',
      `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${call.resource}/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9`,
      DOCS.describeStacks,
    ),
  ],
  // What Lambda does with the function's role (test/iam/platform-calls.ts).
  'lambda:PollQueue': (call, model) =>
    ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'].flatMap((action) =>
      onQueue(action, action === 'sqs:ReceiveMessage' ? ['kms:Decrypt'] : [], DOCS.lambdaSqs)(call, model, {
        userId: '',
      }),
    ),
  'lambda:WriteLogs': (call) =>
    ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) =>
      req(
        action,
        `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${call.resource}:log-stream:2026/01/01/[$LATEST]0123456789abcdef`,
        DOCS.lambdaLogs,
      ),
    ),
  'lambda:SendToDeadLetterQueue': (call, model, session) =>
    onQueue('sqs:SendMessage', ['kms:GenerateDataKey', 'kms:Decrypt'], DOCS.lambdaDlq)(call, model, session),
};

/** Every operation the table knows. */
export const KNOWN_CALLS: readonly string[] = Object.keys(RULES);

/** The permissions a call needs; throws for an operation the table does not know yet. */
export function requiredActions(call: RecordedCall, model: StackModel, session: Session): Requirement[] {
  const rule = RULES[call.call];
  if (!rule)
    throw new Error(
      `test/iam/required-actions.ts has no rule for ${call.call} (made by ${call.principal}): add one, citing the AWS documentation`,
    );
  return rule(call, model, session);
}

/**
 * The actions an S3 API operation needs, whatever its headers, for the static template check: one
 * set per way of calling it (without and with a version id), any one of which suffices.
 */
export function baseS3Actions(operation: string): string[][] {
  const rule = RULES[`s3:${operation}`];
  if (!rule) return [];
  const fake = {
    arn: () => '',
    keyOf: () => undefined,
    bucketKeyEnabled: () => false,
  } as unknown as StackModel;
  const variants = [[], ['versionId']].map((features) => {
    const call = {
      principal: '',
      call: `s3:${operation}`,
      resource: 'external:bucket',
      key: '*',
      with: features,
    };
    return [...new Set(rule(call, fake, { userId: '' }).map((r) => r.action))].sort();
  });
  return [...new Map(variants.map((v) => [v.join(), v])).values()];
}
