import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ARCHIVE_PREFIX, EXPIRY_PREFIX } from '#shared/archive/layout.ts';
import { PACK_PREFIX } from '#shared/archive/pack-format.ts';
import type { RecordLine } from '#shared/clients/call-recorder.ts';
import { REPORT_PREFIX } from '#shared/sweep/report.ts';
import { STATE_KEY } from '#shared/sweep/state.ts';

/**
 * One AWS call a role makes, reduced to what authorisation depends on: the resource as the
 * template's logical id, an S3 key as the prefix that matters for ARNs, and the request features
 * that need permissions of their own.
 */
export interface RecordedCall {
  /** Logical id of the role that makes it. */
  readonly principal: string;
  /** IAM service prefix and API operation, e.g. `s3:PutObject`. */
  readonly call: string;
  /** The bucket, queue, table, key or instance profile (logical id), `external:<name>` outside the stack, or an SSM parameter name. */
  readonly resource?: string;
  /** S3 object key pattern: a logvault prefix and `*`, `*` for any key, `${aws:userid}/*` for a session's own prefix. */
  readonly key?: string;
  /** S3 list prefix, as a pattern like `key`. */
  readonly prefix?: string;
  /** Request features, e.g. `versionId`, `tagging`, `objectLock`, `legalHold:ON`, `sse-kms:ArchiveKey`, `tags:instance`, `index:bySource`. */
  readonly with?: readonly string[];
}

export const recordedCallsFile = resolve(import.meta.dirname, 'recorded-calls.json');

/** Key prefixes logvault itself writes in the archive bucket; other keys are source keys, any of which may occur. */
const KNOWN_PREFIXES = [
  ARCHIVE_PREFIX,
  PACK_PREFIX,
  EXPIRY_PREFIX,
  REPORT_PREFIX,
  STATE_KEY.slice(0, STATE_KEY.lastIndexOf('/') + 1),
];

/** The IAM policy variable a session's own key prefix is recorded as. */
export const USERID = `\${aws:userid}`;

/** The pattern an S3 key stands for: its logvault prefix, a session's own prefix, or any key. */
export function keyPattern(key: string): string {
  if (key.startsWith(`${USERID}/`)) return `${USERID}/*`;
  const known = KNOWN_PREFIXES.filter((p) => key.startsWith(p)).sort((a, b) => b.length - a.length)[0];
  return known ? `${known}*` : '*';
}

const SERVICES: Record<string, string> = {
  S3: 's3',
  SQS: 'sqs',
  KMS: 'kms',
  EC2: 'ec2',
  SSM: 'ssm',
  DynamoDB: 'dynamodb',
  STS: 'sts',
};
/** lib-dynamodb's document commands, by the DynamoDB operation each sends. */
const DOCUMENT_COMMANDS: Record<string, string> = {
  Put: 'PutItem',
  Get: 'GetItem',
  Update: 'UpdateItem',
  Delete: 'DeleteItem',
  BatchGet: 'BatchGetItem',
  BatchWrite: 'BatchWriteItem',
  TransactGet: 'TransactGetItems',
  TransactWrite: 'TransactWriteItems',
};

type Names = ReadonlyMap<string, string>;

/** A physical name (bucket, queue URL, key ARN, table) as a logical id, or `external:<name>`. */
function logical(names: Names, value: unknown): string {
  const text = typeof value === 'object' && value ? String((value as { Arn?: string }).Arn) : String(value);
  const direct = names.get(text);
  if (direct) return direct;
  // Queue URLs differ with the endpoint that answered CreateQueue; the queue name does not.
  const last = text.split('/').pop() ?? text;
  return names.get(last) ?? `external:${text}`;
}

function features(p: Record<string, unknown>, names: Names): string[] {
  const out: string[] = [];
  if (p.VersionId) out.push('versionId');
  if (p.Tagging) out.push('tagging');
  if (p.ObjectLockMode || p.ObjectLockRetainUntilDate) out.push('objectLock');
  if (p.ObjectLockLegalHoldStatus) out.push(`legalHold:${p.ObjectLockLegalHoldStatus}`);
  if (p.LegalHold) out.push(`legalHold:${p.LegalHold}`);
  if (p.ServerSideEncryption === 'aws:kms')
    out.push(p.SSEKMSKeyId ? `sse-kms:${logical(names, p.SSEKMSKeyId)}` : 'sse-kms');
  if (p.BucketKeyEnabled) out.push('bucketKey');
  if (p.ChecksumAlgorithm) out.push(`checksum:${p.ChecksumAlgorithm}`);
  if (p.ChecksumMode) out.push('checksumMode');
  if (p.IamInstanceProfile) out.push(`instanceProfile:${logical(names, p.IamInstanceProfile)}`);
  if (p.IndexName) out.push(`index:${p.IndexName}`);
  for (const t of (p.TagSpecifications as string[] | undefined) ?? []) out.push(`tags:${t}`);
  return out.sort();
}

/** Reduces one recorded call to the calls authorisation sees (DeleteObjects: one per key pattern). */
export function reduceCall(line: Extract<RecordLine, { kind: 'call' }>, names: Names): RecordedCall[] {
  const service = SERVICES[line.service] ?? line.service.toLowerCase();
  const operation =
    service === 'dynamodb' ? (DOCUMENT_COMMANDS[line.operation] ?? line.operation) : line.operation;
  const p = line.params;
  const base = { principal: line.principal, call: `${service}:${operation}` };
  const resource =
    p.Bucket ?? p.QueueUrl ?? p.TableName ?? (service === 'kms' ? p.KeyId : undefined) ?? undefined;
  const withFeatures = (extra: Record<string, unknown>) => {
    const f = features({ ...p, ...extra }, names);
    return f.length ? { with: f } : {};
  };
  const at = {
    ...base,
    ...(resource !== undefined ? { resource: logical(names, resource) } : {}),
    ...(service === 'ssm' && p.Name ? { resource: String(p.Name) } : {}),
  };
  const objects = p.Objects as { Key: string; VersionId?: true }[] | undefined;
  if (objects) {
    return objects.map((o) => ({
      ...at,
      key: keyPattern(o.Key),
      ...withFeatures({ VersionId: o.VersionId }),
    }));
  }
  return [
    {
      ...at,
      // Only S3 keys name a resource (DynamoDB's Key is an item's primary key).
      ...(service === 's3' && p.Key !== undefined ? { key: keyPattern(String(p.Key)) } : {}),
      ...(p.Prefix !== undefined ? { prefix: keyPattern(String(p.Prefix)) } : {}),
      ...withFeatures({}),
    },
  ];
}

const identity = (c: RecordedCall) => JSON.stringify(c);
const order = (a: RecordedCall, b: RecordedCall) =>
  a.principal.localeCompare(b.principal) ||
  a.call.localeCompare(b.call) ||
  identity(a).localeCompare(identity(b));

/** Sorted, without duplicates. */
export function normalise(calls: Iterable<RecordedCall>): RecordedCall[] {
  const unique = new Map<string, RecordedCall>();
  for (const c of calls) unique.set(identity(c), c);
  return [...unique.values()].sort(order);
}

/** Reads every process's recording in a directory and reduces it. */
export function readRecording(dir: string): RecordedCall[] {
  if (!existsSync(dir)) return [];
  const lines: RecordLine[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.jsonl')))
    for (const text of readFileSync(join(dir, file), 'utf8').split('\n'))
      if (text.trim()) lines.push(JSON.parse(text) as RecordLine);
  const names = new Map<string, string>();
  for (const l of lines)
    if (l.kind === 'names') for (const [k, v] of Object.entries(l.names)) names.set(k, v);
  return normalise(lines.flatMap((l) => (l.kind === 'call' ? reduceCall(l, names) : [])));
}

export function readRecordedCalls(file = recordedCallsFile): RecordedCall[] {
  return JSON.parse(readFileSync(file, 'utf8')) as RecordedCall[];
}

export function writeRecordedCalls(calls: Iterable<RecordedCall>, file = recordedCallsFile): void {
  writeFileSync(file, JSON.stringify(normalise(calls)));
  // In the layout `npm run check` expects, so a rewrite only shows the calls that changed.
  execFileSync(resolve(import.meta.dirname, '../../node_modules/.bin/biome'), ['format', '--write', file], {
    stdio: 'ignore',
  });
}

/** Calls in `recorded` that `known` lacks. */
export function missingFrom(
  known: readonly RecordedCall[],
  recorded: readonly RecordedCall[],
): RecordedCall[] {
  const have = new Set(known.map(identity));
  return recorded.filter((c) => !have.has(identity(c)));
}

export const describeCall = (c: RecordedCall): string =>
  [
    c.call,
    c.resource ? `on ${c.resource}` : '',
    c.key ? `key ${c.key}` : '',
    c.prefix ? `prefix ${c.prefix}` : '',
    c.with?.length ? `with ${c.with.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join(' ');
