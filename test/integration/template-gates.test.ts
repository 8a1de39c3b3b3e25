import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageStack } from '#local/package.ts';
import { type CfnTemplate, readTemplate } from '#local/template.ts';
import { literalTemplate } from '../helpers/literal-template.ts';

const run = promisify(execFile);
const outDir = mkdtempSync(join(tmpdir(), 'lv-package-'));
const template = join(outDir, 'cloudformation-template-update-stack.json');
// The same stage with every option on: access logs, an alarm address and a restore principal.
const optionsDir = mkdtempSync(join(tmpdir(), 'lv-package-options-'));
const optionsTemplate = join(optionsDir, 'cloudformation-template-update-stack.json');
const OPTIONS = [
  '--param',
  'accessLogs=true',
  '--param',
  'alarmEmail=ops@example.com',
  '--param',
  'restorePrincipal=arn:aws:iam::111122223333:role/logvault-operators',
];

/** The checkov skips `.checkov.yaml` lists, each of which must follow a comment giving its reason. */
function configuredSkips(): { id: string; reason: string }[] {
  const config = readFileSync('.checkov.yaml', 'utf8').split('\n');
  return config.flatMap((line, i) => {
    const id = /^\s+- (CKV_\w+)/.exec(line)?.[1];
    if (!id) return [];
    const reason: string[] = [];
    for (let j = i - 1; j >= 0 && config[j]?.trim().startsWith('#'); j--) reason.unshift(config[j] ?? '');
    return [{ id, reason: reason.join(' ') }];
  });
}

/** Checks skipped in a resource's own Metadata (checkov honours those as well as the config). */
function inlineSkips(path: string): { resource: string; id: string; comment: string }[] {
  const t = JSON.parse(readFileSync(path, 'utf8')) as {
    Resources: Record<string, { Metadata?: { checkov?: { skip?: { id: string; comment: string }[] } } }>;
  };
  return Object.entries(t.Resources).flatMap(([resource, r]) =>
    (r.Metadata?.checkov?.skip ?? []).map((s) => ({ resource, id: s.id, comment: s.comment })),
  );
}

interface CheckovReport {
  summary: { passed: number; failed: number; skipped: number };
  // The config's `quiet` leaves passed and skipped checks out of the results.
  results: { failed_checks: { check_id: string; resource: string }[] };
}

async function checkov(path: string): Promise<CheckovReport> {
  const { stdout } = await run(
    '.venv/bin/checkov',
    ['--config-file', '.checkov.yaml', '-f', path, '-o', 'json'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  ).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
  return JSON.parse(stdout) as CheckovReport;
}

/**
 * Informational rules the gate also enforces: I3011, stateful resources say what happens to them
 * when the stack is deleted or replaces them; I3510, each IAM statement's resources are of the kind
 * its actions act on. The other informational rules stay off (I1022, for one, only prefers Fn::Sub
 * over the framework's own Fn::Join).
 */
const INFORMATIONAL = ['I3011', 'I3510'];

async function cfnLint(path: string): Promise<{ code: number; out: string }> {
  return run('.venv/bin/cfn-lint', ['--include-checks', ...INFORMATIONAL, '--', path]).then(
    () => ({ code: 0, out: '' }),
    (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
  );
}

/**
 * The template with every Ref, GetAtt and Sub resolved to the literal value it has once deployed,
 * written next to it. I3510 skips any statement whose resources are built by a function, which is
 * every statement logvault writes; on this copy it sees them all.
 */
async function literalCopy(
  path: string,
  name: string,
  edit: (t: CfnTemplate) => void = () => undefined,
): Promise<string> {
  const literal = await literalTemplate(readTemplate(path), {
    accountId: '123456789012',
    region: 'eu-west-1',
    stackName: 'logvault-prod',
  });
  edit(literal);
  const out = path.replace(/\.json$/, `-${name}.json`);
  writeFileSync(out, JSON.stringify(literal, null, 1));
  return out;
}

beforeAll(async () => {
  // Offline and without credentials, as on a build machine.
  const saved = { ...process.env };
  for (const k of [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_ENDPOINT_URL',
  ]) {
    delete process.env[k];
  }
  try {
    await packageStack('prod', outDir);
    await run(
      'node_modules/.bin/serverless',
      ['package', '--stage', 'prod', '--package', optionsDir, ...OPTIONS],
      { env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' } },
    );
  } finally {
    Object.assign(process.env, saved);
  }
});

describe('packaged template', () => {
  it('builds every function as its own small bundle', () => {
    const t = JSON.parse(readFileSync(template, 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: { Code?: { S3Key: string }; Runtime?: string; Architectures?: string[] } }
      >;
    };
    const functions = Object.values(t.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(2);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      const zip = join(outDir, String(fn.Properties.Code?.S3Key).split('/').pop() ?? '');
      expect(statSync(zip).size).toBeLessThan(1.5 * 1024 * 1024);
    }
  });

  it.each([
    ['the default options', template],
    ['every option on', optionsTemplate],
  ])('passes cfn-lint with no errors, warnings, I3011 or I3510 findings, with %s', async (_name, path) => {
    const result = await cfnLint(path);
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  });

  it.each([
    ['the default options', template],
    ['every option on', optionsTemplate],
  ])('passes cfn-lint, I3510 included, with every ARN spelled out, with %s', async (_name, path) => {
    const result = await cfnLint(await literalCopy(path, 'literal'));
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  });

  it('fails the I3510 gate for a statement whose resource is of another service', async () => {
    const broken = await literalCopy(template, 'literal-broken', (t) => {
      const role = t.Resources.ArchiveFunctionRole?.Properties as {
        Policies: { PolicyDocument: { Statement: { Sid: string; Resource: unknown }[] } }[];
      };
      const consume = role.Policies[0]?.PolicyDocument.Statement.find((st) => st.Sid === 'ConsumeOwnQueue');
      if (consume) consume.Resource = 'arn:aws:sns:eu-west-1:123456789012:logvault-prod-alarms';
    });
    const result = await cfnLint(broken);
    expect(result.out).toContain("I3510 action 'sqs:ReceiveMessage'");
    expect(result.code).not.toBe(0);
  });

  it('keeps the keys, every data bucket and the requests table when the stack goes or replaces them', () => {
    const t = readTemplate(optionsTemplate);
    const policies = (type: string) =>
      Object.entries(t.Resources)
        .filter(([, r]) => r.Type === type)
        .map(([id, r]) => [id, r.DeletionPolicy, r.UpdateReplacePolicy]);
    expect(policies('AWS::KMS::Key')).toEqual([
      ['ArchiveKey', 'Retain', 'Retain'],
      ['PipelineKey', 'Retain', 'Retain'],
    ]);
    // The deployment bucket holds only packaged artifacts: `serverless remove` empties and deletes it.
    expect(policies('AWS::S3::Bucket').sort()).toEqual([
      ['AccessLogBucket', 'Retain', 'Retain'],
      ['ArchiveBucket', 'Retain', 'Retain'],
      ['IngestBucket', 'Retain', 'Retain'],
      ['ServerlessDeploymentBucket', 'Delete', 'Delete'],
    ]);
    expect(policies('AWS::DynamoDB::Table').sort()).toEqual([
      ['MembersTable', 'Retain', 'Retain'],
      ['ProvisionRequestsTable', 'Retain', 'Retain'],
    ]);
    // Queues and log groups go with the stack: fixed names that would block a redeploy, no data.
    for (const [type, count] of [
      ['AWS::SQS::Queue', 8],
      ['AWS::Logs::LogGroup', 6],
    ] as const) {
      const found = policies(type);
      expect(found).toHaveLength(count);
      for (const [id, deletion, replace] of found)
        expect([id, deletion, replace]).toEqual([id, 'Delete', 'Delete']);
    }
    for (const key of ['ArchiveKey', 'PipelineKey'])
      expect(t.Resources[key]?.Properties?.PendingWindowInDays, key).toBe(30);
  });

  it('passes checkov, skipping only the checks listed with a reason', async () => {
    const report = await checkov(template);
    expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(100);
    // The one skip inside the template is on the access-log bucket, which is off by default.
    expect(report.summary.skipped).toBe(0);
    expect(inlineSkips(template).map((s) => `${s.id} ${s.resource}`)).toEqual(['CKV_AWS_18 AccessLogBucket']);

    // The short list: function DLQs (meaningless for synchronous invocations) and VPC placement.
    const skips = configuredSkips();
    expect(skips.map((s) => s.id)).toEqual(['CKV_AWS_116', 'CKV_AWS_117']);
    for (const s of skips) expect(s.reason.length, `reason before ${s.id}`).toBeGreaterThan(80);
  });

  it("passes checkov with every option on, skipping only the access-log bucket's own logging", async () => {
    const report = await checkov(optionsTemplate);
    expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
    expect(report.summary.skipped).toBe(1);
    expect(inlineSkips(optionsTemplate)).toEqual([
      { resource: 'AccessLogBucket', id: 'CKV_AWS_18', comment: expect.stringMatching(/log into itself/) },
    ]);
  });
});
