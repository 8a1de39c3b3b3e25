import { CommanderError } from 'commander';
import { CliError } from './errors.ts';
import { printedJson } from './output.ts';

/** Status of a command whose stdout was closed by its reader (`| head`): what SIGPIPE gives. */
export const CLOSED_STDOUT_STATUS = 141;

/** True when the command line asks for JSON: a `--json` argument before any `--`. */
export function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}

const isClosedPipe = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code === 'EPIPE';

/**
 * The exit status for an error: the parser's usage errors (unknown option or command, missing
 * required option or argument, too many arguments, a command group without its subcommand) are 2;
 * help and version are 0; a CliError carries its own; a closed stdout is 141; anything else 1.
 */
export function exitStatus(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  if (error instanceof CliError) return error.exitCode;
  if (isClosedPipe(error)) return CLOSED_STDOUT_STATUS;
  return 1;
}

/** The sentence a person reads for an error (without commander's `error: ` prefix). */
export function errorMessage(error: unknown): string {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.help') return 'a command is required: see the list above';
    return error.message.replace(/^error: /, '');
  }
  return (error as Error)?.message ?? String(error);
}

/**
 * Ends the process for an error, in the same way for every command: the message on stderr (the
 * parser has already printed its own), and with --json an `{"error", "exitCode"}` document on
 * stdout unless the command already printed its result there.
 */
export function fail(error: unknown, argv: readonly string[]): never {
  const status = exitStatus(error);
  if (status === 0 || status === CLOSED_STDOUT_STATUS) process.exit(status);
  const message = errorMessage(error);
  // The parser has printed its own message, except for a command group given without a command.
  if (!(error instanceof CommanderError) || error.code === 'commander.help')
    process.stderr.write(`logvault: ${message}\n`);
  if (wantsJson(argv) && !printedJson()) {
    process.stdout.write(`${JSON.stringify({ error: message, exitCode: status })}\n`);
  }
  process.exit(status);
}

/**
 * A reader that closes stdout early (`logvault ls | head -3`) ends the command at once and quietly,
 * as SIGPIPE ends other Unix tools, instead of with a stack trace.
 */
export function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error) => {
    if (isClosedPipe(error)) process.exit(CLOSED_STDOUT_STATUS);
    throw error;
  });
}
