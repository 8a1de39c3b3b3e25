/** Configuration is missing or malformed: the function must not start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A message that can never succeed however often it is retried (it should go to the DLQ at once). */
export class PoisonMessageError extends Error {
  override readonly name = 'PoisonMessageError';
}

/** The source object changed or vanished while it was being archived. */
export class SourceChangedError extends Error {
  override readonly name = 'SourceChangedError';
}

/** An archive failed an integrity check: wrong digest, tampered bytes, or a context that names another object. */
export class IntegrityError extends Error {
  override readonly name = 'IntegrityError';
  constructor(
    readonly archiveKey: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${archiveKey}: ${message}`, options);
  }
}

/** An archive sits in a cold storage class and must be restored by S3 before it can be read. */
export class ColdObjectError extends Error {
  override readonly name = 'ColdObjectError';
  constructor(
    readonly archiveKey: string,
    readonly storageClass: string,
    readonly restoreState: 'not-started' | 'in-progress',
  ) {
    super(`${archiveKey}: stored in ${storageClass}; S3 restore ${restoreState}`);
  }
}

/** True for an SDK error with one of the given names or HTTP status codes. */
export function isAwsError(error: unknown, ...names: (string | number)[]): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return names.some((n) => (typeof n === 'number' ? status === n : error.name === n));
}
