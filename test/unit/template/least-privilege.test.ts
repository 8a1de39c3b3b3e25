import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageStack } from '#local/package.ts';
import { baseS3Actions } from '../../iam/required-actions.ts';
import { s3OperationsIn } from '../../iam/s3-calls-in-code.ts';

// Reads the IAM roles and key policies of the template `serverless package` writes for a stage.

interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: unknown;
  Action?: string | string[];
  NotAction?: unknown;
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

/** Actions that AWS cannot scope to a resource: the only ones allowed on `"*"`. */
const UNSCOPABLE = new Set(['ec2:DescribeInstances', 'ec2:DescribeImages']);
/** Key operations that use a key rather than administer it. */
const KEY_USE = /^kms:(Decrypt|Encrypt|GenerateDataKey.*|ReEncrypt.*|CreateGrant|\*)$|^\*$/;

const stage = 'prod';
const outDir = mkdtempSync(join(tmpdir(), 'lv-least-privilege-'));
let resources: Record<string, Resource>;

beforeAll(async () => {
  await packageStack(stage, outDir);
  const path = join(outDir, 'cloudformation-template-update-stack.json');
  resources = (JSON.parse(readFileSync(path, 'utf8')) as { Resources: Record<string, Resource> }).Resources;
}, 180_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Every statement of every identity policy in the template, with the role it belongs to. */
function identityStatements(): { role: string; statement: Statement }[] {
  const out: { role: string; statement: Statement }[] = [];
  for (const [role, r] of ofType('AWS::IAM::Role')) {
    for (const p of list(r.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]))
      for (const statement of p.PolicyDocument.Statement) out.push({ role, statement });
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const [id, r] of ofType(type))
      for (const statement of (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement)
        out.push({ role: id, statement });
  }
  return out;
}

function roleOf(fn: Resource): string {
  const role = fn.Properties.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
  return role?.['Fn::GetAtt']?.[0] ?? '';
}

/** The logical id a key-policy principal names through `Fn::GetAtt`, or the root of the account. */
function principalName(principal: unknown): string {
  const aws = (principal as { AWS?: unknown } | undefined)?.AWS;
  if (aws === undefined) return JSON.stringify(principal);
  const getAtt = (aws as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
  if (getAtt) return getAtt[0];
  const sub = (aws as { 'Fn::Sub'?: string })['Fn::Sub'];
  if (typeof sub === 'string' && /^arn:\$\{AWS::Partition\}:iam::\$\{AWS::AccountId\}:root$/.test(sub))
    return 'account root';
  return JSON.stringify(aws);
}

function keyStatements(key: string): Statement[] {
  const policy = resources[key]?.Properties.KeyPolicy as { Statement: Statement[] } | undefined;
  if (!policy) throw new Error(`no key policy on ${key}`);
  return policy.Statement;
}

describe('IAM in the packaged template', () => {
  it('grants no wildcard action, and "*" resources only for actions AWS cannot scope', () => {
    const statements = identityStatements();
    expect(statements.length).toBeGreaterThan(20);
    const offences: string[] = [];
    for (const { role, statement: s } of statements) {
      if (s.Effect !== 'Allow') continue;
      const where = `${role} ${s.Sid ?? ''}`;
      if (s.NotAction !== undefined || s.NotResource !== undefined)
        offences.push(`${where}: NotAction/NotResource`);
      for (const action of list(s.Action))
        if (action.includes('*')) offences.push(`${where}: action ${action}`);
      if (list(s.Resource).includes('*')) {
        for (const action of list(s.Action))
          if (!UNSCOPABLE.has(action)) offences.push(`${where}: ${action} on "*"`);
      }
    }
    expect(offences).toEqual([]);
  });

  it('gives every function a role of its own that only Lambda can assume', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual([
      'ApiLambdaFunction',
      'ArchiveLambdaFunction',
      'IngestLambdaFunction',
      'ProvisionLambdaFunction',
      'SweepLambdaFunction',
    ]);
    const roles = functions.map(([, fn]) => roleOf(fn));
    expect(new Set(roles).size).toBe(functions.length);
    expect(resources.IamRoleLambdaExecution).toBeUndefined();
    for (const role of roles) {
      const trust = resources[role]?.Properties.AssumeRolePolicyDocument as { Statement: Statement[] };
      expect(
        trust.Statement.map((s) => s.Principal),
        role,
      ).toEqual([{ Service: 'lambda.amazonaws.com' }]);
    }
  });

  it('lets each function write only its own log group and consume only its own trigger queue', () => {
    const statements = identityStatements();
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const role = roleOf(fn);
      const name = String(fn.Properties.FunctionName);
      const own = statements.filter((s) => s.role === role).map((s) => s.statement);
      const logs = own.filter((s) => list(s.Action).some((a) => a.startsWith('logs:')));
      expect(logs.length, id).toBe(1);
      expect(JSON.stringify(logs[0]?.Resource), id).toContain(`:log-group:/aws/lambda/${name}:*`);

      const triggers = ofType('AWS::Lambda::EventSourceMapping')
        .filter(([, m]) => JSON.stringify(m.Properties.FunctionName).includes(`"${id}"`))
        .map(([, m]) => m.Properties.EventSourceArn);
      const consumes = own.filter((s) => list(s.Action).includes('sqs:ReceiveMessage'));
      expect(
        consumes.flatMap((s) => list(s.Resource)),
        id,
      ).toEqual(triggers);
    }
  });

  it('grants each function the S3 action every S3 operation in its code needs, whatever the tests exercise', async () => {
    // The action an operation needs is not always its name (ListMultipartUploads needs
    // s3:ListBucketMultipartUploads): test/iam/required-actions.ts says which, citing AWS.
    const missing: string[] = [];
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const entry = `${String(fn.Properties.Handler).replace(/\.[^.]+$/, '')}.ts`;
      const granted = new Set(
        identityStatements()
          .filter((s) => s.role === roleOf(fn) && s.statement.Effect === 'Allow')
          .flatMap((s) => list(s.statement.Action)),
      );
      for (const operation of await s3OperationsIn(entry)) {
        const ways = baseS3Actions(operation);
        if (!ways.some((actions) => actions.every((a) => granted.has(a))))
          missing.push(
            `${id} calls ${operation}, which needs ${ways.map((w) => w.join(' + ')).join(' or ')}`,
          );
      }
    }
    expect(missing).toEqual([]);
  });

  it('lets an instance write only under its own session prefix of the ingest bucket', () => {
    const puts = identityStatements().filter(
      (s) => s.role === 'ProvisionedInstanceRole' && list(s.statement.Action).includes('s3:PutObject'),
    );
    expect(puts.map((s) => s.statement.Resource)).toEqual([
      { 'Fn::Sub': `\${IngestBucket.Arn}/\${!aws:userid}/*` },
    ]);
  });
});

describe('key policies in the packaged template', () => {
  it('lets only the archive role and the restore role decrypt with the archive key (the sweeper only through S3)', () => {
    const decrypters = new Map<string, Statement[]>();
    for (const s of keyStatements('ArchiveKey')) {
      if (s.Effect !== 'Allow' || !list(s.Action).some((a) => a === 'kms:Decrypt' || KEY_USE.test(a)))
        continue;
      const name = principalName(s.Principal);
      decrypters.set(name, [...(decrypters.get(name) ?? []), s]);
    }
    expect([...decrypters.keys()].sort()).toEqual([
      'ArchiveFunctionRole',
      'ArchiveRestoreRole',
      'SweepFunctionRole',
    ]);
    // Directly, without a condition: only these two can open an archive's envelope.
    const unconditional = [...decrypters]
      .filter(([, ss]) => ss.some((s) => list(s.Action).includes('kms:Decrypt') && !s.Condition))
      .map(([name]) => name)
      .sort();
    expect(unconditional).toEqual(['ArchiveFunctionRole', 'ArchiveRestoreRole']);
    for (const s of decrypters.get('SweepFunctionRole') ?? []) {
      expect(s.Condition?.StringEquals?.['kms:ViaService']).toEqual({
        'Fn::Sub': `s3.\${AWS::Region}.amazonaws.com`,
      });
    }
  });

  it('leaves the account root the administration of the archive key, never its use', () => {
    const root = keyStatements('ArchiveKey').filter((s) => principalName(s.Principal) === 'account root');
    expect(root.length).toBe(1);
    expect(list(root[0]?.Action).filter((a) => KEY_USE.test(a))).toEqual([]);
    expect(list(root[0]?.Action)).toContain('kms:PutKeyPolicy');
  });

  it('lets the account use the pipeline key only through the services that hold pipeline data', () => {
    for (const s of keyStatements('PipelineKey')) {
      if (principalName(s.Principal) !== 'account root') continue;
      const uses = list(s.Action).filter((a) => KEY_USE.test(a));
      if (uses.length === 0) continue;
      expect(s.Condition?.StringEquals?.['kms:ViaService'], s.Sid).toBeDefined();
      expect(s.Condition?.StringEquals?.['kms:CallerAccount'], s.Sid).toEqual({ Ref: 'AWS::AccountId' });
    }
    for (const key of ['ArchiveKey', 'PipelineKey'])
      expect(resources[key]?.Properties.EnableKeyRotation, key).toBe(true);
  });
});

describe('the API and the alarms in the packaged template', () => {
  it('requires AWS_IAM on every route and throttles the stage', () => {
    const routes = ofType('AWS::ApiGatewayV2::Route');
    expect(routes.length).toBeGreaterThanOrEqual(3);
    for (const [id, r] of routes) expect(r.Properties.AuthorizationType, id).toBe('AWS_IAM');
    const settings = resources.HttpApiStage?.Properties.DefaultRouteSettings as Record<string, number>;
    expect(settings.ThrottlingRateLimit).toBeGreaterThan(0);
    expect(settings.ThrottlingBurstLimit).toBeGreaterThan(0);
  });

  it('alarms on every dead-letter queue and on every function, into the encrypted topic', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const watched = (metric: string) =>
      alarms
        .filter((a) => a.MetricName === metric)
        .map((a) => JSON.stringify((a.Dimensions as { Value: unknown }[])[0]?.Value));
    const dlqs = ofType('AWS::SQS::Queue')
      .filter(([, q]) => !q.Properties.RedrivePolicy)
      .map(([id]) => JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] }));
    expect(dlqs).toHaveLength(4);
    expect(watched('ApproximateNumberOfMessagesVisible').sort()).toEqual(dlqs.sort());
    const functions = ofType('AWS::Lambda::Function').map(([id]) => JSON.stringify({ Ref: id }));
    expect(watched('Errors').sort()).toEqual(functions.sort());
    for (const a of alarms) {
      expect(a.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(a.ComparisonOperator).toBe('GreaterThanThreshold');
      expect(a.Threshold).toBe(0);
    }
    expect(resources.AlarmTopic?.Properties.KmsMasterKeyId).toEqual({ Ref: 'PipelineKey' });
  });
});
