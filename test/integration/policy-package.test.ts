import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

describe('serverless package with a malformed policy file', () => {
  it('fails, naming the offending field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lv-badpolicy-'));
    const bad = JSON.parse(readFileSync(join(root, 'policies.json'), 'utf8'));
    bad.policies[1].retention = { days: 0 };
    writeFileSync(join(dir, 'policies.json'), JSON.stringify(bad));
    const run = spawnSync(
      join(root, 'node_modules/.bin/serverless'),
      ['package', '--stage', 'badpolicy', '--package', join(dir, 'out')],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 180_000,
        env: {
          ...process.env,
          LOGVAULT_POLICIES_FILE: join(dir, 'policies.json'),
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
        },
      },
    );
    expect(run.status).not.toBe(0);
    expect(`${run.stdout}${run.stderr}`).toContain('policies[1].retention.days: must be a positive integer');
  });
});
