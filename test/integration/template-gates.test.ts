import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { packageStack } from '#local/package.ts';

const run = promisify(execFile);
const outDir = mkdtempSync(join(tmpdir(), 'lv-package-'));
const template = join(outDir, 'cloudformation-template-update-stack.json');

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

  it('passes cfn-lint with no errors or warnings', async () => {
    const result = await run('.venv/bin/cfn-lint', [template]).then(
      () => ({ code: 0, out: '' }),
      (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
    );
    expect(result.out).toBe('');
    expect(result.code).toBe(0);
  });

  it('passes checkov, skipping only the checks listed with a reason', async () => {
    const { stdout } = await run(
      '.venv/bin/checkov',
      ['--config-file', '.checkov.yaml', '-f', template, '-o', 'json'],
      {
        maxBuffer: 64 * 1024 * 1024,
      },
    ).catch((e: { stdout: string }) => ({ stdout: e.stdout }));
    const report = JSON.parse(stdout) as {
      summary: { passed: number; failed: number };
      results: { failed_checks: { check_id: string; resource: string }[] };
    };
    expect(report.results.failed_checks.map((c) => `${c.check_id} ${c.resource}`)).toEqual([]);
    expect(report.summary.passed).toBeGreaterThan(30);

    const config = readFileSync('.checkov.yaml', 'utf8').split('\n');
    const skips = config.flatMap((line, i) => (/^\s+- CKV_/.test(line) ? [i] : []));
    expect(skips.length).toBeLessThanOrEqual(6);
    for (const i of skips)
      expect(config[i - 1]?.trim().startsWith('#'), `reason before ${config[i]}`).toBe(true);
  });
});
