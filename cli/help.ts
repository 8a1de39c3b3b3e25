import { Command, Help, type Option } from 'commander';
import { INSTANT_FORMATS } from './instants.ts';

/**
 * Examples for every command's --help, by command path. Kept in one place and attached by
 * main.ts, so that a command gets its examples without its own file spelling them out.
 */
export const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  dev: [
    'logvault dev',
    'logvault dev --json --log-file .logvault/dev.log',
    'logvault dev --endpoint http://127.0.0.1:5000',
  ],
  ship: [
    'logvault ship /var/log/nginx --source web-1',
    'logvault ship app.log --source billing --json',
    'logvault ship /var/log/app --source web-1 --wait 120',
  ],
  ls: [
    'logvault ls --source web-1',
    "logvault ls --source web-1 --path '/var/log/nginx/*' --from 2026-02-01 --to 2026-02-07 --json",
    'logvault ls --archives --source web-1',
  ],
  restore: [
    'logvault restore archive/web-1/2026-02-03/nginx/access.log.9f2c4b1a7d3e5f60.lv > access.log',
    'logvault restore --source web-1 --from 2026-02-01 --to 2026-02-01 -o restored/',
    "logvault restore --source web-1 --path '/var/log/app.log' --allow-gaps -o restored/",
    'logvault restore pack/standard/2026-02-03/20260203T101500Z-5e0c8d2a9b7f4a31-212.lvp -o restored/',
    'logvault restore --source audit --wait --tier Bulk -o restored/',
  ],
  cat: [
    "logvault cat --source web-1 --path '/var/log/nginx/access.log' --from 2026-02-03 | less",
    'logvault cat --source web-1 --allow-gaps > everything.log',
  ],
  grep: [
    "logvault grep --source web-1 ' 5[0-9][0-9] ' --from 2026-02-03 --to 2026-02-04",
    "logvault grep -i --source api 'timeout' --path '*/app.log'",
  ],
  cost: ['logvault cost', 'logvault cost --region eu-west-1 --json'],
  verify: ['logvault verify', 'logvault verify --source web-1 --sample 10 --json'],
  redrive: ['logvault redrive', 'logvault --stage prod redrive archive'],
  invoke: [
    'logvault invoke ingest -p events/sqs-s3-notification.json',
    'logvault invoke sweep -p events/eventbridge-scheduled.json --json',
  ],
  sweep: [
    'logvault sweep --dry-run',
    'logvault sweep --dry-run --now 2026-06-01 --json',
    'logvault sweep --now 2026-06-01 --yes   # deletes as if it were June 1st (UTC)',
  ],
  hold: [
    'logvault hold archive/audit-db/2026-02-03/pg.log.0c1d2e3f4a5b6c7d.lv',
    'logvault hold --source audit-db --from 2026-01-01 --to 2026-01-31',
    'logvault hold 3f9a0c2e7b1d4a6f8e0c2b4d6f8a0c1e',
  ],
  release: [
    'logvault release archive/audit-db/2026-02-03/pg.log.0c1d2e3f4a5b6c7d.lv',
    'logvault release --source audit-db',
  ],
  policies: ['logvault policies check', 'logvault policies explain web-1/nginx/access.log --size 2MiB'],
  'policies check': ['logvault policies check', 'logvault policies check my-policies.json --json'],
  'policies explain': [
    'logvault policies explain i-0abc123',
    'logvault policies explain audit-db/pg.log --size 50KiB --now 2026-03-01',
    'logvault policies explain db-main --file my-policies.json --json',
  ],
  provision: [
    "logvault provision --name web-1 --type t4g.micro --every 'rate(15 minutes)' --wait",
    "logvault provision --name batch --type m7g.large --every 'cron(0 3 * * ? *)' --count 2 --log-path '/var/log/app/*.log' --tag team=data",
  ],
  instances: [
    'logvault instances',
    'logvault instances -s web-1 --json',
    'logvault instances --request 5942165e-9650-3f9c-ea00-16fc3f5f158f',
  ],
};

/** The command's path below the program: `policies explain`, `ls`. */
function pathOf(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

const TIME_FLAGS = new Set(['--from', '--to', '--now']);

/**
 * Option descriptions that also say what a person must know: which options are required, and
 * that dates without a zone are UTC.
 */
export class LogvaultHelp extends Help {
  override optionDescription(option: Option): string {
    const extra: string[] = [];
    if (option.mandatory) extra.push('required');
    if (option.long && TIME_FLAGS.has(option.long)) extra.push('UTC unless a zone is given');
    const base = super.optionDescription(option);
    return extra.length ? `${base} [${extra.join('; ')}]` : base;
  }
}

/** A command whose help, and its subcommands' help, is {@link LogvaultHelp}. */
export class LogvaultCommand extends Command {
  override createCommand(name?: string): Command {
    return new LogvaultCommand(name);
  }
  override createHelp(): Help {
    return Object.assign(new LogvaultHelp(), this.configureHelp());
  }
}

const EXIT_CODES =
  'Exit codes: 0 success, 1 a failure (e.g. an archive that fails to restore or verify), 2 bad usage.';

/** Adds each command's examples, and the date formats and exit codes to the program's own help. */
export function attachHelp(program: Command): void {
  const visit = (command: Command) => {
    const examples = EXAMPLES[pathOf(command)];
    if (examples)
      command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
    for (const sub of command.commands) visit(sub);
  };
  for (const command of program.commands) visit(command);
  program.addHelpText(
    'after',
    `\nDates (--from, --to, --now): ${INSTANT_FORMATS}.\n` +
      'With --json, stdout holds one JSON document (dev: one per line), also on failure: {"error": ..., "exitCode": N}.\n' +
      `${EXIT_CODES}\n`,
  );
}
