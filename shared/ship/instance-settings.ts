import { ShipSettingsError } from '../errors.ts';
import { INSTANCE_STATE_DIR } from './state.ts';

/**
 * The instance shipper's settings, from its environment (the systemd unit loads
 * /etc/logvault/shipper.env):
 *
 *   LOGVAULT_INGEST_BUCKET    bucket to upload to (required)
 *   LOGVAULT_LOG_PATHS        absolute globs: one per line, or space-separated when on one line
 *   LOGVAULT_LOG_PATHS_FILE   file of absolute globs, one per line (a glob there may hold spaces)
 *   LOGVAULT_INSTANCE_ID      instance id; asked of IMDSv2 when unset
 *   LOGVAULT_KEY_PREFIX       first key segment; when unset on an instance (no LOGVAULT_INSTANCE_ID),
 *                             the session's aws:userid, "ROLE_ID:INSTANCE_ID", asked of STS
 *   LOGVAULT_STATE_DIR        its state (default /var/lib/logvault/ship)
 *   LOGVAULT_BACKFILL         1: on first contact, also send logs that were already rotated
 *   LOGVAULT_UPLOAD_ATTEMPTS  tries per batch (default 5)
 *   LOGVAULT_RETRY_DELAY      seconds before the first retry, doubled for each next one (default 2)
 */
export interface InstanceSettings {
  readonly bucket: string;
  readonly globs: readonly string[];
  readonly instanceId?: string;
  readonly keyPrefix?: string;
  readonly stateDir: string;
  readonly backfill: boolean;
  readonly attempts: number;
  readonly retryDelaySec: number;
  readonly imdsEndpoint: string;
}

function globsIn(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*(#|$)/.test(line)) continue;
    if (!line.startsWith('/')) throw new ShipSettingsError(`log path globs must be absolute: ${line}`);
    out.push(line);
  }
  return out;
}

/** @throws ShipSettingsError naming the setting that is wrong. */
export function readInstanceSettings(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
): InstanceSettings {
  const bucket = env.LOGVAULT_INGEST_BUCKET ?? '';
  if (!bucket) throw new ShipSettingsError('LOGVAULT_INGEST_BUCKET is not set');
  const attempts = env.LOGVAULT_UPLOAD_ATTEMPTS ?? '5';
  if (!/^[1-9][0-9]*$/.test(attempts))
    throw new ShipSettingsError('LOGVAULT_UPLOAD_ATTEMPTS must be a positive whole number');
  const delay = env.LOGVAULT_RETRY_DELAY ?? '2';
  if (!/^[0-9]+$/.test(delay))
    throw new ShipSettingsError('LOGVAULT_RETRY_DELAY must be a whole number of seconds');
  const backfill = env.LOGVAULT_BACKFILL ?? '';
  if (!['', '0', '1'].includes(backfill)) throw new ShipSettingsError('LOGVAULT_BACKFILL must be 0 or 1');

  const globs: string[] = [];
  const inline = env.LOGVAULT_LOG_PATHS ?? '';
  if (inline) globs.push(...globsIn(inline.includes('\n') ? inline : inline.trim().split(/\s+/).join('\n')));
  const file = env.LOGVAULT_LOG_PATHS_FILE;
  if (file) {
    let text: string;
    try {
      text = readFile(file);
    } catch {
      throw new ShipSettingsError(`cannot read ${file}`);
    }
    globs.push(...globsIn(text));
  }
  if (globs.length === 0)
    throw new ShipSettingsError('no log paths: set LOGVAULT_LOG_PATHS or LOGVAULT_LOG_PATHS_FILE');

  return {
    bucket,
    globs,
    ...(env.LOGVAULT_INSTANCE_ID ? { instanceId: env.LOGVAULT_INSTANCE_ID } : {}),
    ...(env.LOGVAULT_KEY_PREFIX ? { keyPrefix: env.LOGVAULT_KEY_PREFIX } : {}),
    stateDir: env.LOGVAULT_STATE_DIR || INSTANCE_STATE_DIR,
    backfill: backfill === '1',
    attempts: Number(attempts),
    retryDelaySec: Number(delay),
    imdsEndpoint: env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254',
  };
}

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The first segment of every key: LOGVAULT_KEY_PREFIX; or the instance id given outside EC2; or,
 * on an instance, its role session's aws:userid, which must end in the instance's own id (the
 * instance role may write only under `${aws:userid}/`).
 */
export async function keyPrefix(
  settings: InstanceSettings,
  instanceId: string,
  userId: () => Promise<string>,
): Promise<string> {
  if (!INSTANCE_ID.test(instanceId)) throw new ShipSettingsError(`unusable instance id: ${instanceId}`);
  let prefix: string;
  if (settings.keyPrefix) prefix = settings.keyPrefix;
  else if (settings.instanceId) prefix = instanceId;
  else {
    prefix = await userId().catch((error: Error) => {
      throw new ShipSettingsError(`cannot ask STS for this session: ${error.message}`);
    });
    if (!prefix.endsWith(`:${instanceId}`))
      throw new ShipSettingsError(`this session (${prefix}) is not the instance role of ${instanceId}`);
  }
  if (!KEY_PREFIX.test(prefix)) throw new ShipSettingsError(`unusable key prefix: ${prefix}`);
  return prefix;
}
