import { gzipSync } from 'node:zlib';
import { minimumIntervalMs, parseScheduleExpression } from '../schedule/expression.ts';
import { type SystemdTimerSpec, toSystemdTimer } from '../schedule/systemd.ts';
import { SHIPPER_BUNDLE } from './shipper-bundle.ts';

/** What an instance needs to ship its logs; none of it is secret (credentials come from the instance role). */
export interface UserDataOptions {
  readonly ingestBucket: string;
  readonly region: string;
  /** Absolute globs; each also matches its rotated copies (`G-*`, `G.*`). */
  readonly logPaths: readonly string[];
  /** An EventBridge `rate(...)` or `cron(...)` expression, run in UTC. */
  readonly backupFrequency: string;
  readonly requestId: string;
}

/** The options cannot be turned into user data that EC2 accepts and that runs as meant. */
export class UserDataError extends Error {
  override readonly name = 'UserDataError';
}

/** EC2 refuses user data above 16 KiB (before base64). */
export const USER_DATA_MAX_BYTES = 16 * 1024;

/** The command the timer runs: finds a Node.js and runs the bundled shipper with it. */
export const SHIPPER_PATH = '/usr/local/bin/logvault-ship';
/** The shipper itself (shared/ship/instance-main.ts, bundled; see shipper-bundle.ts). */
export const SHIPPER_BUNDLE_PATH = '/usr/local/lib/logvault/ship.mjs';
export const CONFIG_DIR = '/etc/logvault';
export const SERVICE_NAME = 'logvault-ship.service';
export const TIMER_NAME = 'logvault-ship.timer';

const ENV_FILE = `${CONFIG_DIR}/shipper.env`;
const BUNDLE_DIR = '/usr/local/lib/logvault';
/** Node.js commands in the order the launcher prefers them: AL2023 names its versioned packages' node-NN. */
const NODES = ['node-24', 'node-22', 'node-20', 'node'];
const PATHS_FILE = `${CONFIG_DIR}/log-paths`;
const UNIT_DIR = '/etc/systemd/system';
const HEREDOC_END = 'LOGVAULT_EOF';

/**
 * Quotes a value as one bash word that expands to exactly that value: nothing inside single quotes is
 * special to bash, and a single quote itself is written as '\''.
 * @throws UserDataError for a NUL byte, which no bash string can hold.
 */
export function shellQuote(value: string): string {
  if (value.includes('\0')) throw new UserDataError('a shell value cannot contain a NUL byte');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * What EC2 is given: the script gzip-compressed. The shipper bundle alone is larger than EC2's
 * 16 KiB, and cloud-init uncompresses gzip user data before acting on it (cloud-init docs, "User-Data
 * Formats", "Gzip Compressed Content": https://docs.cloud-init.io/en/21.3/topics/format.html).
 */
export function encodeUserData(script: string): Buffer {
  return gzipSync(Buffer.from(script, 'utf8'), { level: 9 });
}

/**
 * Renders the cloud-init user data (a bash script) that installs Node.js if the image lacks it,
 * the log shipper (/usr/local/bin/logvault-ship running the bundle at SHIPPER_BUNDLE_PATH), its
 * settings under /etc/logvault, and a systemd service and timer that run it on `backupFrequency`.
 * Launch it through {@link encodeUserData}.
 * @throws UserDataError for an option EC2 or the shipper could not use, or user data that would be
 *   over EC2's limit once compressed.
 * @throws ScheduleExpressionError for a malformed `backupFrequency`.
 */
export function renderUserData(opts: UserDataOptions): string {
  validate(opts);
  const schedule = parseScheduleExpression(opts.backupFrequency, 'backupFrequency');
  const timer = toSystemdTimer(schedule);
  // Jitter keeps a fleet started together from uploading in the same second, yet stays well inside
  // one interval so a run is never pushed past the next.
  const jitterSec = Math.max(1, Math.min(60, Math.floor(minimumIntervalMs(schedule) / 10_000)));

  // Only validated characters reach these files, so systemd's EnvironmentFile parser and bash read
  // them alike. The paths, which may hold anything but a newline, go to a file of their own.
  const env = [
    `LOGVAULT_INGEST_BUCKET=${opts.ingestBucket}`,
    `LOGVAULT_LOG_PATHS_FILE=${PATHS_FILE}`,
    `LOGVAULT_REQUEST_ID=${opts.requestId}`,
    `AWS_REGION=${opts.region}`,
    `AWS_DEFAULT_REGION=${opts.region}`,
  ];

  const script = [
    '#!/bin/bash',
    `# logvault user data for request ${opts.requestId}: installs the log shipper and its timer.`,
    'set -euo pipefail',
    'umask 022',
    '',
    '# Amazon Linux 2023 ships the AWS CLI v2; install it where an image left it out.',
    'command -v aws >/dev/null 2>&1 || dnf install -y awscli-2',
    `install -d -m 0755 ${CONFIG_DIR} /usr/local/bin ${BUNDLE_DIR} ${UNIT_DIR}`,
    '',
    heredoc(SHIPPER_BUNDLE_PATH, `${SHIPPER_BUNDLE}\n`),
    heredoc(SHIPPER_PATH, launcher()),
    `chmod 0644 ${SHIPPER_BUNDLE_PATH}`,
    `chmod 0755 ${SHIPPER_PATH}`,
    "# The shipper needs Node.js 18 or later: where the image has none, AL2023's own, the newest first.",
    `${SHIPPER_PATH} --which-node >/dev/null 2>&1 || dnf install -y nodejs22 || dnf install -y nodejs20 || dnf install -y nodejs`,
    '',
    printfLines(ENV_FILE, env),
    printfLines(PATHS_FILE, opts.logPaths),
    '',
    heredoc(`${UNIT_DIR}/${SERVICE_NAME}`, serviceUnit()),
    heredoc(`${UNIT_DIR}/${TIMER_NAME}`, timerUnit(timer, schedule.expression, jitterSec)),
    '',
    'systemctl daemon-reload',
    `systemctl enable --now ${TIMER_NAME}`,
    `echo ${shellQuote(`logvault: log shipper installed for request ${opts.requestId}`)}`,
    '',
  ].join('\n');

  const bytes = encodeUserData(script).length;
  if (bytes > USER_DATA_MAX_BYTES) {
    throw new UserDataError(
      `user data would be ${bytes} bytes compressed, over EC2's ${USER_DATA_MAX_BYTES}: use fewer or broader logPaths globs`,
    );
  }
  return script;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

function validate(opts: UserDataOptions): void {
  if (!BUCKET.test(opts.ingestBucket)) {
    throw new UserDataError(`ingestBucket: ${JSON.stringify(opts.ingestBucket)} is not an S3 bucket name`);
  }
  if (!REGION.test(opts.region)) {
    throw new UserDataError(`region: ${JSON.stringify(opts.region)} is not an AWS region name`);
  }
  if (!REQUEST_ID.test(opts.requestId)) {
    throw new UserDataError(
      `requestId: ${JSON.stringify(opts.requestId)} must be 1-128 letters, digits, '.', '_', ':' or '-'`,
    );
  }
  if (opts.logPaths.length === 0) throw new UserDataError('logPaths: at least one glob is needed');
  for (const path of opts.logPaths) {
    // The shipper reads one glob per line and keys uploads by absolute path.
    if (!path.startsWith('/')) throw new UserDataError(`logPaths: ${JSON.stringify(path)} is not absolute`);
    if (/[\n\r\0]/.test(path)) {
      throw new UserDataError(`logPaths: ${JSON.stringify(path)} contains a line break or NUL byte`);
    }
  }
}

/** Writes `content` to `path` through a quoted here-document, in which bash expands nothing. */
function heredoc(path: string, content: string): string {
  if (!content.endsWith('\n') || content.split('\n').includes(HEREDOC_END)) {
    throw new UserDataError(
      `${path}: content must end with a newline and never hold the line ${HEREDOC_END}`,
    );
  }
  return `cat >${shellQuote(path)} <<'${HEREDOC_END}'\n${content}${HEREDOC_END}`;
}

/** Writes each value as one line of `path`; every value is a single-quoted word, so none can run. */
function printfLines(path: string, lines: readonly string[]): string {
  // SC2016 would flag a literal `$(...)` in a path: literal is exactly what is wanted.
  const directive = '# shellcheck disable=SC2016 # values are written as they are, never expanded';
  return `${directive}\nprintf '%s\\n' ${lines.map(shellQuote).join(' ')} >${shellQuote(path)}`;
}

/**
 * /usr/local/bin/logvault-ship: runs the bundle with the newest Node.js there is, if it is 18 or
 * later; `--which-node` only names that Node (user data asks, to know whether to install one).
 */
function launcher(): string {
  return `#!/bin/sh
# logvault-ship: runs the logvault log shipper (${SHIPPER_BUNDLE_PATH}) with Node.js 18 or later.
for node in ${NODES.join(' ')}; do
  if command -v "$node" >/dev/null 2>&1 &&
    "$node" -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
    if [ "\${1:-}" = --which-node ]; then
      command -v "$node"
      exit 0
    fi
    exec "$node" ${SHIPPER_BUNDLE_PATH} "$@"
  fi
done
echo 'logvault-ship: Node.js 18 or later is not installed' >&2
exit 2
`;
}

function serviceUnit(): string {
  return `[Unit]
Description=logvault: ship new and changed logs to the ingest bucket
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
EnvironmentFile=${ENV_FILE}
ExecStart=${SHIPPER_PATH}
StateDirectory=logvault
# The shipper only reads logs; everything but its state is read-only to it.
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=true
NoNewPrivileges=true
Nice=10
IOSchedulingClass=idle
# A run cut short sends the same batch again first next time, so nothing is lost or sent twice.
TimeoutStartSec=4h
`;
}

function timerUnit(timer: SystemdTimerSpec, expression: string, jitterSec: number): string {
  const settings = Object.entries(timer).map(([key, value]) => `${key}=${value}`);
  return `[Unit]
Description=logvault: ship logs on ${expression.replaceAll('%', '%%')}

[Timer]
${settings.join('\n')}
Persistent=true
RandomizedDelaySec=${jitterSec}s
AccuracySec=1s

[Install]
WantedBy=timers.target
`;
}
