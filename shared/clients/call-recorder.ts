import { AsyncLocalStorage } from 'node:async_hooks';
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Records the AWS calls each role makes, for the least-privilege check in the tests
 * (docs/iam.md). Off unless LOGVAULT_RECORD_AWS_CALLS names a directory, which only the test
 * run sets: in Lambda no middleware is added and nothing is read or written.
 */
export const RECORD_DIR_ENV = 'LOGVAULT_RECORD_AWS_CALLS';
/** The role a whole process acts as (a CLI run as ArchiveRestoreRole), when no handler is running. */
export const RECORD_PRINCIPAL_ENV = 'LOGVAULT_RECORD_AWS_PRINCIPAL';

/** One line of a recording: a call, or the physical names of a stack the local cloud created. */
export type RecordLine =
  | {
      readonly kind: 'call';
      readonly principal: string;
      readonly service: string;
      readonly operation: string;
      readonly params: Record<string, unknown>;
    }
  | { readonly kind: 'names'; readonly names: Record<string, string> };

// One store per process, even when a bundled copy of this module is loaded beside the source one.
const STORE = Symbol.for('logvault.awsCallPrincipal');
type Global = { [STORE]?: AsyncLocalStorage<string> };
const principals = (): AsyncLocalStorage<string> =>
  ((globalThis as Global)[STORE] ??= new AsyncLocalStorage<string>());

/** Runs `fn` as `principal` (a role's logical id): the calls it makes are that role's. */
export function asPrincipal<T>(principal: string, fn: () => T): T {
  return principals().run(principal, fn);
}

const written = new Set<string>();

/** Appends a line to this process's recording, once. */
export function appendRecord(line: RecordLine): void {
  const dir = process.env[RECORD_DIR_ENV];
  if (!dir) return;
  const text = JSON.stringify(line);
  if (written.has(text)) return;
  written.add(text);
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, `${process.pid}.jsonl`), `${text}\n`);
}

/** Request fields that decide which IAM actions a call needs, on which resources. */
const AUTHORISATION_FIELDS = [
  'Bucket',
  'Key',
  'VersionId',
  'Prefix',
  'ServerSideEncryption',
  'SSEKMSKeyId',
  'BucketKeyEnabled',
  'ObjectLockMode',
  'ObjectLockLegalHoldStatus',
  'ChecksumAlgorithm',
  'ChecksumMode',
  'CopySource',
  'QueueUrl',
  'TableName',
  'IndexName',
  'KeyId',
  'Name',
  'ImageId',
  'IamInstanceProfile',
] as const;

/** What of a request matters for authorisation; presence is enough for tags and lock dates. */
export function authorisationParams(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of AUTHORISATION_FIELDS) if (input[field] !== undefined) out[field] = input[field];
  if (input.Tagging !== undefined) out.Tagging = true;
  if (input.ObjectLockRetainUntilDate !== undefined) out.ObjectLockRetainUntilDate = true;
  const hold = input.LegalHold as { Status?: string } | undefined;
  if (hold?.Status) out.LegalHold = hold.Status;
  const deletes = (input.Delete as { Objects?: { Key?: string; VersionId?: string }[] } | undefined)?.Objects;
  if (deletes)
    out.Objects = deletes.map((o) => ({ Key: o.Key, ...(o.VersionId ? { VersionId: true } : {}) }));
  const tags = input.TagSpecifications as { ResourceType?: string }[] | undefined;
  if (tags) out.TagSpecifications = tags.map((t) => t.ResourceType);
  return out;
}

interface MiddlewareStackLike {
  add(
    middleware: (
      next: (args: { input: object }) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) => (args: { input: object }) => Promise<unknown>,
    options: { step: 'initialize'; name: string },
  ): void;
}

/**
 * Adds the recording middleware to a client when recording is on. Each call is attributed to the
 * role whose handler made it (asPrincipal) or to the process's role; calls of neither (the tests'
 * own, the local cloud's setup) are not recorded.
 */
export function recordCalls<C extends { middlewareStack: unknown }>(client: C): C {
  if (!process.env[RECORD_DIR_ENV]) return client;
  (client.middlewareStack as MiddlewareStackLike).add(
    (next, context) => async (args) => {
      const principal = principals().getStore() ?? process.env[RECORD_PRINCIPAL_ENV];
      if (principal) {
        appendRecord({
          kind: 'call',
          principal,
          service: (context.clientName ?? '').replace(/Client$/, ''),
          operation: (context.commandName ?? '').replace(/Command$/, ''),
          params: authorisationParams(args.input as Record<string, unknown>),
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'logvaultCallRecorder' },
  );
  return client;
}
