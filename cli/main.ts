import { Command, CommanderError } from 'commander';
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
import { CliError } from './output.ts';

const program = new Command('logvault')
  .description(
    'Serverless log backup for AWS: ship, archive (zstd + AWS Encryption SDK), restore with proof.',
  )
  .option('--stage <name>', 'talk to the deployed stack logvault-<name> instead of the local pipeline')
  .option('--region <region>', 'AWS region of the deployed stage')
  .showHelpAfterError()
  .exitOverride();

for (const register of [
  registerDev,
  registerShip,
  registerLs,
  registerRestore,
  registerInvoke,
  registerVerify,
  registerRedrive,
  registerSweep,
  registerHold,
  registerPolicies,
  registerProvision,
  registerInstances,
]) {
  register(program);
}

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof CliError) {
    process.stderr.write(`logvault: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`logvault: ${(error as Error).message ?? String(error)}\n`);
  process.exit(1);
}
