import { readFileSync } from 'node:fs';
import { registerCat } from './commands/cat.ts';
import { registerCost } from './commands/cost.ts';
import { registerDev } from './commands/dev.ts';
import { registerHold } from './commands/hold.ts';
import { registerInvoke } from './commands/invoke.ts';
import { registerLs } from './commands/ls.ts';
import { registerPolicies } from './commands/policies.ts';
import { registerInstances, registerProvision } from './commands/provision.ts';
import { registerRedrive } from './commands/redrive.ts';
import { registerRestore } from './commands/restore.ts';
import { registerShip } from './commands/ship.ts';
import { registerSweep } from './commands/sweep.ts';
import { registerVerify } from './commands/verify.ts';
import { endQuietlyWhenStdoutCloses, fail } from './failure.ts';
import { attachHelp, LogvaultCommand } from './help.ts';
import { projectPath } from './target.ts';

const { version } = JSON.parse(readFileSync(projectPath('package.json'), 'utf8')) as { version: string };

endQuietlyWhenStdoutCloses();

// Settings made before the commands are added are inherited by every one of them.
const program = new LogvaultCommand('logvault')
  .description(
    'Serverless log backup for AWS: ship, archive (zstd + AWS Encryption SDK), restore with proof.',
  )
  .version(version, '-V, --version', 'print the version of logvault')
  .option('--stage <name>', 'talk to the deployed stack logvault-<name> instead of the local pipeline')
  .option('--region <region>', 'AWS region of the deployed stage')
  .showHelpAfterError('(add --help for usage and examples)')
  .exitOverride();

for (const register of [
  registerDev,
  registerShip,
  registerLs,
  registerRestore,
  registerCat,
  registerInvoke,
  registerVerify,
  registerCost,
  registerRedrive,
  registerSweep,
  registerHold,
  registerPolicies,
  registerProvision,
  registerInstances,
]) {
  register(program);
}
attachHelp(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  fail(error, process.argv.slice(2));
}
