/**
 * logvault-ship: the instance shipper. User data installs this file, bundled, as
 * /usr/local/lib/logvault/ship.mjs, run by logvault-ship.timer through /usr/local/bin/logvault-ship.
 * Settings: see instance-settings.ts. It only reads logs: it never modifies, moves or deletes one.
 *
 * Exit status: 0 shipped (or nothing new); 1 the batch could not be uploaded (it is sent first next
 * run); 2 bad settings or an unusable state; 75 another run holds the lock.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { splitSourceKey } from '../archive/layout.ts';
import { ShipLockedError, ShipSettingsError, ShipStateError } from '../errors.ts';
import { awsCliUploader, callerUserId } from './aws-cli.ts';
import { imdsInstanceId } from './imds.ts';
import { keyPrefix, readInstanceSettings } from './instance-settings.ts';
import { withRotations } from './paths.ts';
import { shipOnce } from './run.ts';
import { describeRun } from './summary.ts';

const log = (line: string) => process.stderr.write(`logvault-ship: ${line}\n`);

async function main(): Promise<number> {
  const settings = readInstanceSettings(process.env, (p) => readFileSync(p, 'utf8'));
  const instanceId =
    settings.instanceId ??
    (await imdsInstanceId(settings.imdsEndpoint).catch(() => {
      throw new ShipSettingsError('cannot read the instance id from IMDSv2');
    }));
  const prefix = await keyPrefix(settings, instanceId, callerUserId);
  const result = await shipOnce(
    {
      stateDir: settings.stateDir,
      // The pipeline files a key's first segment, "ROLE_ID:i-...", under the instance id.
      source: splitSourceKey(`${prefix}/x`).source,
      prefix,
      host: hostname(),
      patterns: settings.globs.flatMap(withRotations),
      backfill: settings.backfill,
    },
    {
      upload: awsCliUploader({
        bucket: settings.bucket,
        attempts: settings.attempts,
        retryDelaySec: settings.retryDelaySec,
        log,
      }),
    },
  );
  for (const problem of result.problems) log(problem);
  log(describeRun(result, `s3://${settings.bucket}/`));
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    log(error.message);
    if (error instanceof ShipLockedError) process.exit(75);
    process.exit(error instanceof ShipSettingsError || error instanceof ShipStateError ? 2 : 1);
  },
);
