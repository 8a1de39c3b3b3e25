import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { SHIPPER_BUNDLE } from '#shared/provision/shipper-bundle.ts';
import {
  encodeUserData,
  renderUserData,
  SHIPPER_BUNDLE_PATH,
  SHIPPER_PATH,
  shellQuote,
  USER_DATA_MAX_BYTES,
  UserDataError,
  type UserDataOptions,
} from '#shared/provision/user-data.ts';
import { ScheduleExpressionError } from '#shared/schedule/expression.ts';

const tmp = mkdtempSync(join(tmpdir(), 'logvault-user-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const canary = join(tmp, 'PWNED');
// Each would run a command if it reached bash unquoted; none may create the canary.
const trickyPaths = [
  '/var/log/messages',
  '/var/log/my app/*.log',
  "/var/log/it's/*.log",
  `/var/log/$(touch ${canary})/x.log`,
  `/var/log/\`touch ${canary}\`.log`,
  `/var/log/"; touch ${canary}; echo "/x.log`,
  '/var/log/back\\slash/$HOME/!bang/*.log',
];

const base: UserDataOptions = {
  ingestBucket: 'logvault-dev-ingest-123456789012-us-east-1',
  region: 'us-east-1',
  logPaths: trickyPaths,
  backupFrequency: 'rate(5 minutes)',
  requestId: '8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60',
};

/** The text between `cat >'path' <<'LOGVAULT_EOF'` and its end line. */
function fileInHeredoc(script: string, path: string): string {
  const start = script.indexOf(`cat >'${path}' <<'LOGVAULT_EOF'\n`);
  expect(start, `no here-document for ${path}`).toBeGreaterThanOrEqual(0);
  const from = script.indexOf('\n', start) + 1;
  return script.slice(from, script.indexOf('\nLOGVAULT_EOF\n', from) + 1);
}

describe('shellQuote', () => {
  it.each([
    '',
    'plain',
    "it's",
    "''",
    '$(touch x)',
    '`touch x`',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${HOME} for bash is the point
    '$HOME ${HOME} \\ \\\\ " !! * ? [a] ~ # ; & | < > ( )',
    'line\nbreak\ttab',
    'ünïcødé ☃',
  ])('%j reaches bash as itself, expanding nothing', (value) => {
    const out = execFileSync('bash', ['-c', `printf '%s' ${shellQuote(value)}`], {
      encoding: 'utf8',
      cwd: tmp,
    });
    expect(out).toBe(value);
  });

  it("wraps in single quotes and writes a single quote as '\\''", () => {
    expect(shellQuote("it's")).toBe("'it'\\''s'");
  });

  it('refuses a NUL byte', () => {
    expect(() => shellQuote('a\0b')).toThrow(UserDataError);
  });
});

describe('renderUserData', () => {
  it('is a bash script that stops on the first error', () => {
    const script = renderUserData(base);
    expect(script.startsWith('#!/bin/bash\n')).toBe(true);
    expect(script).toContain('\nset -euo pipefail\n');
  });

  it('installs the shipper bundle byte for byte, and a launcher that runs it with Node.js', () => {
    const script = renderUserData(base);
    expect(fileInHeredoc(script, SHIPPER_BUNDLE_PATH)).toBe(`${SHIPPER_BUNDLE}\n`);
    const launcher = fileInHeredoc(script, SHIPPER_PATH);
    expect(launcher.startsWith('#!/bin/sh\n')).toBe(true);
    expect(launcher).toContain(`exec "$node" ${SHIPPER_BUNDLE_PATH} "$@"`);
  });

  it('is launched gzip-compressed, which cloud-init uncompresses to the script', () => {
    const script = renderUserData(base);
    const encoded = encodeUserData(script);
    expect([...encoded.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(gunzipSync(encoded).toString('utf8')).toBe(script);
  });

  it('writes every path as one single-quoted word', () => {
    const script = renderUserData(base);
    for (const path of trickyPaths) expect(script).toContain(` ${shellQuote(path)}`);
    expect(script).toContain(`>'/etc/logvault/log-paths'`);
  });

  it('writes only non-secret settings, one per line', () => {
    const script = renderUserData(base);
    const line = script.split('\n').find((l) => l.endsWith(">'/etc/logvault/shipper.env'"));
    expect(line).toBe(
      "printf '%s\\n' 'LOGVAULT_INGEST_BUCKET=logvault-dev-ingest-123456789012-us-east-1' " +
        "'LOGVAULT_LOG_PATHS_FILE=/etc/logvault/log-paths' 'LOGVAULT_REQUEST_ID=8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60' " +
        "'AWS_REGION=us-east-1' 'AWS_DEFAULT_REGION=us-east-1' >'/etc/logvault/shipper.env'",
    );
    // The shipper's own code names the IMDS endpoint variable; what matters is that nothing sets one.
    expect(script.replace(SHIPPER_BUNDLE, '')).not.toMatch(
      /AWS_SECRET|AWS_ACCESS_KEY|AWS_SESSION_TOKEN|ENDPOINT/,
    );
  });

  it('runs the shipper from a oneshot service with a read-only view of the system', () => {
    const unit = fileInHeredoc(renderUserData(base), '/etc/systemd/system/logvault-ship.service');
    expect(unit).toContain('Type=oneshot\n');
    expect(unit).toContain('EnvironmentFile=/etc/logvault/shipper.env\n');
    expect(unit).toContain('ExecStart=/usr/local/bin/logvault-ship\n');
    expect(unit).toContain('ProtectSystem=strict\n');
    expect(unit).toContain('StateDirectory=logvault\n');
  });

  it.each([
    ['rate(1 minute)', ['OnBootSec=1min', 'OnUnitActiveSec=1min', 'RandomizedDelaySec=6s']],
    ['rate(5 minutes)', ['OnBootSec=5min', 'OnUnitActiveSec=5min', 'RandomizedDelaySec=30s']],
    ['rate(2 days)', ['OnBootSec=5min', 'OnUnitActiveSec=2d', 'RandomizedDelaySec=60s']],
    ['cron(0 3 * * ? *)', ['OnCalendar=*-*-* 03:00:00 UTC', 'RandomizedDelaySec=60s']],
    ['cron(0/10 8-17 ? * MON-FRI *)', ['OnCalendar=Mon..Fri *-*-* 08..17:00,10,20,30,40,50:00 UTC']],
  ])('schedules %s', (backupFrequency, settings) => {
    const timer = fileInHeredoc(
      renderUserData({ ...base, backupFrequency }),
      '/etc/systemd/system/logvault-ship.timer',
    );
    for (const setting of settings) expect(timer).toContain(`\n${setting}\n`);
    expect(timer).toContain('\nPersistent=true\n');
    expect(timer).toContain(`Description=logvault: ship logs on ${backupFrequency}\n`);
    expect(timer).toContain('[Install]\nWantedBy=timers.target\n');
  });

  it('enables and starts the timer', () => {
    expect(renderUserData(base)).toContain(
      '\nsystemctl daemon-reload\nsystemctl enable --now logvault-ship.timer\n',
    );
  });

  it.each([
    [{ ingestBucket: 'Bad_Bucket' }, 'ingestBucket: "Bad_Bucket" is not an S3 bucket name'],
    [{ ingestBucket: "x'; rm -rf /; '" }, 'is not an S3 bucket name'],
    [{ region: 'us-east-1; reboot' }, 'region: "us-east-1; reboot" is not an AWS region name'],
    [{ requestId: 'a b' }, 'requestId: "a b" must be 1-128 letters'],
    [{ requestId: '' }, 'requestId: "" must be'],
    [{ logPaths: [] }, 'logPaths: at least one glob is needed'],
    [{ logPaths: ['var/log/*.log'] }, 'logPaths: "var/log/*.log" is not absolute'],
    [{ logPaths: ['/var/log/a\nb'] }, 'contains a line break or NUL byte'],
    [{ logPaths: ['/var/log/a\0b'] }, 'contains a line break or NUL byte'],
  ])('refuses %j', (change, message) => {
    expect(() => renderUserData({ ...base, ...change })).toThrow(UserDataError);
    expect(() => renderUserData({ ...base, ...change })).toThrow(message);
  });

  it('refuses a malformed backupFrequency, naming the field', () => {
    expect(() => renderUserData({ ...base, backupFrequency: 'rate(5 minute)' })).toThrow(
      ScheduleExpressionError,
    );
    expect(() => renderUserData({ ...base, backupFrequency: 'rate(5 minute)' })).toThrow(
      'backupFrequency: rate unit must be "minutes" when the value is not 1',
    );
  });

  it('refuses user data EC2 would reject as too large, measured as EC2 gets it (compressed)', () => {
    // Random names, which gzip cannot shrink: 100 of them are about 8 KiB more.
    const logPaths = Array.from({ length: 100 }, () => `/var/log/${randomBytes(40).toString('hex')}/*.log`);
    expect(() => renderUserData({ ...base, logPaths })).toThrow(
      `bytes compressed, over EC2's ${USER_DATA_MAX_BYTES}`,
    );
    expect(encodeUserData(renderUserData(base)).length).toBeLessThan(USER_DATA_MAX_BYTES);
    // The default paths leave room for more: a request's own globs are measured the same way.
    const defaults = { ...base, logPaths: ['/var/log/messages', '/var/log/app/**/*.log'] };
    expect(encodeUserData(renderUserData(defaults)).length).toBeLessThan(USER_DATA_MAX_BYTES - 2048);
  });
});

describe('the launcher, /usr/local/bin/logvault-ship', () => {
  const launcher = join(tmp, 'logvault-ship');
  writeFileSync(launcher, fileInHeredoc(renderUserData(base), SHIPPER_PATH));
  chmodSync(launcher, 0o755);

  /** A directory of stand-in Node.js commands: each answers the version check as told. */
  const nodes = (versions: Record<string, boolean>) => {
    const dir = mkdtempSync(join(tmp, 'nodes-'));
    for (const [name, recent] of Object.entries(versions)) {
      writeFileSync(
        join(dir, name),
        `#!/bin/sh\n[ "$1" = -e ] && exit ${recent ? 0 : 1}\necho "${name} $*"\n`,
      );
      chmodSync(join(dir, name), 0o755);
    }
    return dir;
  };
  const launch = (dir: string, ...args: string[]) =>
    spawnSync(launcher, args, { env: { PATH: dir }, encoding: 'utf8' });

  it("prefers AL2023's newest versioned Node.js and runs the bundle with the run's arguments", () => {
    const dir = nodes({ 'node-20': true, 'node-22': true, node: true });
    expect(launch(dir, '--which-node').stdout).toBe(`${join(dir, 'node-22')}\n`);
    expect(launch(dir, 'x').stdout).toBe(`node-22 ${SHIPPER_BUNDLE_PATH} x\n`);
  });

  it('passes over a Node.js older than 18, and says so when there is no other', () => {
    expect(launch(nodes({ 'node-22': false, node: true }), 'x').stdout).toBe(
      `node ${SHIPPER_BUNDLE_PATH} x\n`,
    );
    const none = launch(nodes({ node: false }), '--which-node');
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('Node.js 18 or later is not installed');
  });
});

function canRun(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}

// Runs the real user data, unmodified, as root in a private mount namespace whose /etc and
// /usr/local/bin are empty tmpfs mounts, with dnf and systemctl stubbed: the files it leaves there
// are what an instance would get, and the host is untouched.
describe.runIf(process.getuid?.() === 0 && canRun('unshare', ['-m', 'true']))('running the user data', () => {
  const run = (opts: UserDataOptions, stubbed = ['systemctl', 'dnf', 'aws'], hideNode = false) => {
    const dir = mkdtempSync(join(tmp, 'run-'));
    const stubs = join(dir, 'stubs');
    const out = join(dir, 'out');
    execFileSync('mkdir', ['-p', stubs, out]);
    for (const name of stubbed) {
      writeFileSync(join(stubs, name), `#!/bin/bash\necho "${name} $*" >>'${dir}/calls'\n`);
      chmodSync(join(stubs, name), 0o755);
    }
    writeFileSync(join(dir, 'user-data'), renderUserData(opts));
    const inside = [
      'set -euo pipefail',
      'mount -t tmpfs tmpfs /etc',
      'mount -t tmpfs tmpfs /usr/local/bin',
      'mount -t tmpfs tmpfs /usr/local/lib',
      // An image without Node.js: its node is replaced by a file that cannot run.
      ...(hideNode ? ['touch "$1/no-node"', 'mount --bind "$1/no-node" "$(command -v node)"'] : []),
      'bash "$1/user-data" >"$1/stdout"',
      'cp -a /etc/logvault /etc/systemd/system/logvault-ship.service /etc/systemd/system/logvault-ship.timer /usr/local/bin/logvault-ship /usr/local/lib/logvault/ship.mjs "$1/out/"',
    ].join('\n');
    execFileSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', inside, 'bash', dir], {
      env: { PATH: `${stubs}:/usr/sbin:/usr/bin:/sbin:/bin` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const read = (name: string) => readFileSync(join(out, name), 'utf8');
    return { dir, out, read, calls: read('../calls') };
  };

  it('installs the shipper, its settings and units, and starts the timer, executing no path', () => {
    const { out, read, calls } = run(base);
    expect(read('ship.mjs')).toBe(`${SHIPPER_BUNDLE}\n`);
    expect(read('logvault-ship')).toContain(SHIPPER_BUNDLE_PATH);
    expect(statSync(join(out, 'logvault-ship')).mode & 0o777).toBe(0o755);
    expect(read('logvault/log-paths')).toBe(`${trickyPaths.join('\n')}\n`);
    expect(read('logvault/shipper.env')).toBe(
      [
        'LOGVAULT_INGEST_BUCKET=logvault-dev-ingest-123456789012-us-east-1',
        'LOGVAULT_LOG_PATHS_FILE=/etc/logvault/log-paths',
        'LOGVAULT_REQUEST_ID=8f14e45f-ceea-467f-a0e6-1b2c3d4e5f60',
        'AWS_REGION=us-east-1',
        'AWS_DEFAULT_REGION=us-east-1',
        '',
      ].join('\n'),
    );
    expect(read('logvault-ship.timer')).toContain('\nOnUnitActiveSec=5min\n');
    expect(read('logvault-ship.service')).toContain('\nExecStart=/usr/local/bin/logvault-ship\n');
    // aws is on PATH (stubbed) and so is a Node.js ≥ 18 (this machine's), so dnf is not needed.
    expect(calls).toBe('systemctl daemon-reload\nsystemctl enable --now logvault-ship.timer\n');
    expect(existsSync(canary)).toBe(false);
  });

  it("installs Node.js from AL2023's packages when the image has none", () => {
    const { calls } = run(base, ['systemctl', 'dnf', 'aws'], true);
    expect(calls).toBe(
      'dnf install -y nodejs22\nsystemctl daemon-reload\nsystemctl enable --now logvault-ship.timer\n',
    );
  });

  it('installs the AWS CLI when the image lacks it', () => {
    const { calls } = run(base, ['systemctl', 'dnf']);
    expect(calls).toBe(
      'dnf install -y awscli-2\nsystemctl daemon-reload\nsystemctl enable --now logvault-ship.timer\n',
    );
  });
});
