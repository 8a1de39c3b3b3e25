import { CommanderError } from 'commander';
import { describe, expect, it } from 'vitest';
import { CliError } from '#cli/errors.ts';
import { errorMessage, exitStatus, wantsJson } from '#cli/failure.ts';

const parserError = (code: string, exitCode = 1) => new CommanderError(exitCode, code, `error: ${code}`);

describe('exitStatus', () => {
  it('gives 2 for every usage error the option parser raises', () => {
    for (const code of [
      'commander.unknownOption',
      'commander.unknownCommand',
      'commander.missingMandatoryOptionValue',
      'commander.missingArgument',
      'commander.optionMissingArgument',
      'commander.excessArguments',
      'commander.invalidArgument',
      'commander.help',
    ])
      expect(exitStatus(parserError(code)), code).toBe(2);
  });

  it('gives 0 for help and version', () => {
    expect(exitStatus(parserError('commander.helpDisplayed', 0))).toBe(0);
    expect(exitStatus(parserError('commander.version', 0))).toBe(0);
  });

  it("keeps a CliError's own status, 141 for a closed stdout, 1 for anything else", () => {
    expect(exitStatus(new CliError('x', 2))).toBe(2);
    expect(exitStatus(new CliError('x'))).toBe(1);
    expect(exitStatus(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))).toBe(141);
    expect(exitStatus(new Error('boom'))).toBe(1);
  });
});

describe('errorMessage', () => {
  it("drops the parser's prefix and explains a missing command", () => {
    expect(
      errorMessage(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'")),
    ).toBe("unknown option '--x'");
    expect(errorMessage(parserError('commander.help'))).toBe('a command is required: see the list above');
  });
});

describe('wantsJson', () => {
  it('sees --json anywhere before a --', () => {
    expect(wantsJson(['ls', '--json'])).toBe(true);
    expect(wantsJson(['--json', 'ls'])).toBe(true);
    expect(wantsJson(['ship', '--source', 's', '--', '--json'])).toBe(false);
    expect(wantsJson(['ls'])).toBe(false);
  });
});
