/** Failure the CLI reports as one clear line and a non-zero exit: 1 a failure, 2 bad usage. */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Bad usage (exit 2): a wrong option value, a missing argument, a combination that cannot work. */
export const usageError = (message: string) => new CliError(message, 2);
