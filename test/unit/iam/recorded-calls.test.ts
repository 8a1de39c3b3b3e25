import { beforeAll, describe, expect, it } from 'vitest';
import type { CfnTemplate } from '#local/template.ts';
import { type RecordedCall, readRecordedCalls } from '../../iam/calls.ts';
import { checkCalls } from '../../iam/check.ts';
import type { StackModel } from '../../iam/stack-model.ts';
import { packagedModel, packagedTemplate } from '../../iam/template.ts';
import { compareUnused, readUnusedGrants } from '../../iam/unused-grants.ts';

// Evaluates the AWS calls the integration and fault suites recorded (test/iam/recorded-calls.json)
// against the roles, key policies, bucket policies and queue policies of the packaged template.

let template: CfnTemplate;
let model: StackModel;
const recorded = readRecordedCalls();

beforeAll(async () => {
  template = await packagedTemplate();
  model = await packagedModel(template);
}, 180_000);

interface PolicyHolder {
  Properties: {
    Policies?: { PolicyDocument: { Statement: { Sid?: string; Action?: string | string[] }[] } }[];
    KeyPolicy?: { Statement: { Sid?: string }[] };
  };
}

/** The packaged template with one statement removed, or one action taken out of a statement. */
function without(resource: string, sid: string, action?: string): CfnTemplate {
  const copy = structuredClone(template) as CfnTemplate & { Resources: Record<string, PolicyHolder> };
  const holder = copy.Resources[resource] as PolicyHolder;
  const documents = [
    ...(holder.Properties.Policies ?? []).map((p) => p.PolicyDocument),
    ...(holder.Properties.KeyPolicy ? [holder.Properties.KeyPolicy] : []),
  ];
  let found = false;
  for (const doc of documents) {
    const statements = doc.Statement as { Sid?: string; Action?: string | string[] }[];
    const i = statements.findIndex((s) => s.Sid === sid);
    if (i < 0) continue;
    found = true;
    const s = statements[i] as { Action?: string | string[] };
    if (action) s.Action = [s.Action ?? []].flat().filter((a) => a !== action);
    else statements.splice(i, 1);
  }
  if (!found) throw new Error(`${resource} has no statement ${sid}`);
  return copy;
}

async function findingsWith(t: CfnTemplate, calls: readonly RecordedCall[] = recorded): Promise<string[]> {
  return (await checkCalls(await packagedModel(t), calls)).findings.map((f) => f.message);
}

describe('the calls each role makes, against the packaged template', () => {
  it('covers every role: the five functions, the instances and ArchiveRestoreRole', () => {
    expect(new Set(recorded.map((c) => c.principal))).toEqual(new Set(model.roles.keys()));
  });

  it('allows every call each role makes, and the calls AWS makes on its behalf', async () => {
    const result = await checkCalls(model, recorded);
    expect(result.evaluated).toBeGreaterThan(recorded.length);
    expect(result.findings.map((f) => f.message)).toEqual([]);
  });

  it('lists every granted permission that no call needs, each with the reason it stays', async () => {
    const { unused } = await checkCalls(model, recorded);
    const report = compareUnused(unused, readUnusedGrants());
    // Visible in every run, not only when something changed.
    console.warn(`Granted, but needed by no recorded call:\n  ${report.warnings.join('\n  ')}`);
    expect(
      report.unexplained,
      'unused grants: remove them, or give a reason in test/iam/unused-grants.json',
    ).toEqual([]);
    expect(report.stale, 'listed in test/iam/unused-grants.json but now used or gone').toEqual([]);
    expect(report.withoutReason).toEqual([]);
  });
});

describe('a statement a role needs, taken out of the template', () => {
  const cases: { role: string; sid: string; action?: string; expect: string[] }[] = [
    {
      role: 'ArchiveFunctionRole',
      sid: 'ListArchiveBucket',
      action: 's3:ListBucketMultipartUploads',
      expect: [
        'the archive function',
        's3:ListMultipartUploads on ArchiveBucket',
        'needs s3:ListBucketMultipartUploads',
      ],
    },
    {
      role: 'IngestFunctionRole',
      sid: 'ForwardArchiveJobs',
      expect: ['the ingest function', 'sqs:SendMessage on ArchiveQueue', 'needs sqs:SendMessage'],
    },
    {
      role: 'ArchiveKey',
      sid: 'SweeperUsesKeyOnlyThroughS3',
      expect: [
        'the sweep function',
        's3:PutObject on ArchiveBucket',
        'needs kms:GenerateDataKey',
        "ArchiveKey's key policy",
      ],
    },
    {
      role: 'ProvisionFunctionRole',
      sid: 'PassOnlyTheShipperRole',
      expect: ['the provision function', 'ec2:RunInstances', 'needs iam:PassRole'],
    },
    {
      role: 'ProvisionedInstanceRole',
      sid: 'EncryptUploadsViaS3',
      expect: ["the instances' shipper", 's3:UploadPart on IngestBucket', 'needs kms:Decrypt'],
    },
    {
      role: 'ArchiveRestoreRole',
      sid: 'ReadStackOutputs',
      expect: ['operators with ArchiveRestoreRole', 'cloudformation:DescribeStacks on logvault-local'],
    },
    {
      role: 'ArchiveRestoreRole',
      sid: 'ReadArchives',
      expect: [
        'operators with ArchiveRestoreRole',
        's3:GetObject on ArchiveBucket key archive/*',
        'needs s3:GetObject',
      ],
    },
  ];

  for (const c of cases) {
    it(`fails without ${c.role} ${c.sid}${c.action ? ` ${c.action}` : ''}, naming the role, the call and the action`, async () => {
      const messages = await findingsWith(without(c.role, c.sid, c.action));
      expect(
        messages.some((m) => c.expect.every((part) => m.includes(part))),
        messages.join('\n'),
      ).toBe(true);
    });
  }
});

describe('conditions and resources the check evaluates', () => {
  const call = (c: Omit<RecordedCall, 'principal'> & { principal?: string }): RecordedCall => ({
    principal: 'ArchiveRestoreRole',
    ...c,
  });

  it('lets ArchiveRestoreRole hold an archive but not release one', async () => {
    const hold = call({
      call: 's3:PutObjectLegalHold',
      resource: 'ArchiveBucket',
      key: 'archive/*',
      with: ['legalHold:ON'],
    });
    const release = { ...hold, with: ['legalHold:OFF'] };
    expect(await findingsWith(template, [hold])).toEqual([]);
    const refused = await findingsWith(template, [release]);
    expect(refused.join('\n')).toContain('needs s3:PutObjectLegalHold');
    expect(refused.join('\n')).toContain('s3:object-lock-legal-hold');
  });

  it('refuses a function a bucket outside the stack, as it should, and reports a grant that reaches one', async () => {
    const foreign = call({
      principal: 'ArchiveFunctionRole',
      call: 's3:GetObject',
      resource: 'external:someone-elses-bucket',
      key: '*',
    });
    expect(await findingsWith(template, [foreign])).toEqual([]);
    const own = call({
      principal: 'ArchiveFunctionRole',
      call: 's3:HeadObject',
      resource: 'external:logvault-local-ingest-123456789012-us-east-1',
      key: '*',
    });
    expect((await findingsWith(template, [own])).join('\n')).toContain('outside the stack, and is allowed');
  });

  it('lets the sweeper use the archive key only through S3 and only for the archive bucket', async () => {
    const direct = call({ principal: 'SweepFunctionRole', call: 'kms:Decrypt', resource: 'ArchiveKey' });
    expect((await findingsWith(template, [direct])).join('\n')).toContain('needs kms:Decrypt');
    const checkpoint = call({
      principal: 'SweepFunctionRole',
      call: 's3:GetObject',
      resource: 'ArchiveBucket',
      key: '_logvault/sweeper/*',
    });
    expect(await findingsWith(template, [checkpoint])).toEqual([]);
  });

  it('lets an instance write only under its own session prefix', async () => {
    const other = call({
      principal: 'ProvisionedInstanceRole',
      call: 's3:PutObject',
      resource: 'IngestBucket',
      key: 'someone-else/*',
    });
    expect((await findingsWith(template, [other])).join('\n')).toContain('needs s3:PutObject');
  });
});
