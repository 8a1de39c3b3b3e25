/** Configuration is missing or malformed: the function must not start. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A message that can never succeed however often it is retried (it should go to the DLQ at once). */
export class PoisonMessageError extends Error {
  override readonly name: string = 'PoisonMessageError';
}

/** Why a well-formed message was refused; a metric dimension, so a short fixed word. */
export type RefusalReason =
  | 'archive-bucket'
  | 'foreign-bucket'
  | 'reserved-key'
  | 'source-mismatch'
  | 'policy-mismatch';

/**
 * A well-formed message that asks for what logvault never does: act on a bucket other than the
 * ingest bucket, on a reserved key, or under a source or policy other than its key's. Refused
 * before anything is read, and never retried.
 */
export class RefusedMessageError extends PoisonMessageError {
  override readonly name = 'RefusedMessageError';
  constructor(
    readonly reason: RefusalReason,
    message: string,
  ) {
    super(message);
  }
}

/** An invocation event of the wrong shape as a whole (not SQS, not scheduled): there is no record to fail alone. */
export class MalformedEventError extends Error {
  override readonly name = 'MalformedEventError';
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

/** No archive object exists under this key. */
export class NoSuchArchiveError extends Error {
  override readonly name = 'NoSuchArchiveError';
  constructor(
    readonly archiveKey: string,
    options?: ErrorOptions,
  ) {
    super(`no such archive: ${archiveKey}`, options);
  }
}

/** The archive's authenticated modification time lies outside the time range asked for. */
export class OutsideRangeError extends Error {
  override readonly name = 'OutsideRangeError';
  constructor(
    readonly archiveKey: string,
    readonly modified: Date,
  ) {
    super(`${archiveKey}: modified ${modified.toISOString()} (authenticated), outside the range`);
  }
}

/** The archive's authenticated key is not under the path glob asked for. */
export class NotSelectedError extends Error {
  override readonly name = 'NotSelectedError';
  constructor(
    readonly archiveKey: string,
    readonly originalKey: string,
  ) {
    super(`${archiveKey}: holds ${JSON.stringify(originalKey)} (authenticated), not of the paths asked for`);
  }
}

/** A restore refused to write at a path: a link, a non-directory or an existing file stands in the way. */
export class UnsafeOutputError extends Error {
  override readonly name = 'UnsafeOutputError';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`refused to write ${path}: ${reason}`);
  }
}

/** True for an SDK error with one of the given names or HTTP status codes. */
export function isAwsError(error: unknown, ...names: (string | number)[]): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return names.some((n) => (typeof n === 'number' ? status === n : error.name === n));
}

/** One problem with one field of a request, as the HTTP API reports it. */
export interface FieldIssue {
  readonly field: string;
  readonly message: string;
}

/** A request the API refuses as written (400): malformed JSON, unknown field, value outside an allow-list. */
export class ValidationError extends Error {
  override readonly name: string = 'ValidationError';
  constructor(readonly issues: readonly FieldIssue[]) {
    super(`invalid request: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  }
}

/** The request body is over the API's own limit (413). */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

/** The request body is not JSON (415). */
export class UnsupportedMediaTypeError extends Error {
  override readonly name = 'UnsupportedMediaTypeError';
}

/** The request is well-formed but asks for more than the configured quota allows (422). */
export class QuotaExceededError extends ValidationError {
  override readonly name = 'QuotaExceededError';
}

/** An Idempotency-Key was reused with a different body (422). */
export class IdempotencyConflictError extends ValidationError {
  override readonly name = 'IdempotencyConflictError';
}

/** No such resource (404). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** EC2 refused a launch for a reason retrying cannot fix (bad AMI, unsupported type, bad parameter). */
export class PermanentLaunchError extends Error {
  override readonly name = 'PermanentLaunchError';
}

/** Another attempt holds the right to launch this request's instances; retrying later is safe. */
export class LaunchInProgressError extends Error {
  override readonly name = 'LaunchInProgressError';
}

/** The invocation is about to time out: the record stops cleanly and is left on the queue for a retry. */
export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** The shipper's settings or arguments cannot be used as given (exit 2). */
export class ShipSettingsError extends Error {
  override readonly name = 'ShipSettingsError';
}

/** The shipper's state file is unreadable or belongs to another source: shipping on could lose or repeat logs. */
export class ShipStateError extends Error {
  override readonly name = 'ShipStateError';
}

/** Another run of the shipper holds the lock on this state directory (exit 75: try again later). */
export class ShipLockedError extends Error {
  override readonly name = 'ShipLockedError';
}

/** A batch could not be uploaded after every attempt; it stays pending and is sent first next run. */
export class UploadFailedError extends Error {
  override readonly name = 'UploadFailedError';
}
