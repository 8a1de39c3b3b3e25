import { createHash, randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { IdempotencyConflictError, LaunchInProgressError } from '../errors.ts';
import { byKey, type InstanceRequest, tagPairs } from './request.ts';

export type RequestStatus = 'queued' | 'launching' | 'running' | 'failed';

/** One provisioning request as the requests table holds it. */
export interface RequestRecord {
  readonly requestId: string;
  readonly status: RequestStatus;
  readonly request: InstanceRequest;
  readonly bodyHash: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly instanceIds?: string[];
  readonly reason?: string;
}

export interface StoreDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly table: string;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with every object's keys sorted, so that equal values always serialise alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(byKey);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * What an Idempotency-Key is bound to: the request as parsed (tags already sorted), independent of
 * the order its fields were written or stored in.
 */
export function bodyHash(request: InstanceRequest): string {
  return hash(canonicalJson(request));
}

/** Request ids: UUID-shaped (derived ones carry no version bits, so they are not strictly UUIDs). */
export const REQUEST_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The request id. With an Idempotency-Key it is derived from the caller and the key, so a retry
 * lands on the same record (and EC2 gets the same ClientToken); without one it is random.
 */
export function requestIdFor(idempotencyKey: string | undefined, caller: string): string {
  if (!idempotencyKey) return randomUUID();
  const h = hash(`${caller}\n${idempotencyKey}`);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/**
 * A record as the table holds it, in any format this module ever wrote. The first one stored tags
 * as a map and hashed the body as received; such a record is read as the current format would
 * have written it (tags as sorted pairs, the canonical body hash), so a retry across an upgrade
 * still finds its request the same.
 */
function fromItem(item: Record<string, unknown>): RequestRecord {
  const record = item as unknown as RequestRecord;
  const tags: unknown = record.request?.tags;
  if (Array.isArray(tags) || tags === null || typeof tags !== 'object') return record;
  const request = { ...record.request, tags: tagPairs(tags as Record<string, string>) };
  return { ...record, request, bodyHash: bodyHash(request) };
}

/**
 * Records a new request as queued. Returns false when the id already exists with the same body
 * (a retried request); throws IdempotencyConflictError when the key was used for another body.
 */
export async function recordRequest(
  deps: StoreDeps,
  requestId: string,
  request: InstanceRequest,
  now = new Date(),
): Promise<{ created: boolean; record: RequestRecord }> {
  const record: RequestRecord = {
    requestId,
    status: 'queued',
    request,
    bodyHash: bodyHash(request),
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.table,
        Item: record,
        ConditionExpression: 'attribute_not_exists(requestId)',
      }),
    );
    return { created: true, record };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
  const existing = await getRequest(deps, requestId);
  if (!existing) throw new Error(`request ${requestId} vanished while being recorded`);
  if (existing.bodyHash !== record.bodyHash)
    throw new IdempotencyConflictError([
      { field: 'Idempotency-Key', message: 'already used for a different request body' },
    ]);
  return { created: false, record: existing };
}

export async function getRequest(deps: StoreDeps, requestId: string): Promise<RequestRecord | undefined> {
  const res = await deps.ddb.send(
    new GetCommand({ TableName: deps.table, Key: { requestId }, ConsistentRead: true }),
  );
  return res.Item ? fromItem(res.Item) : undefined;
}

/** Moves a request to a new status; `instanceIds` and `reason` are set when given. */
export async function setStatus(
  deps: StoreDeps,
  requestId: string,
  status: RequestStatus,
  extra: { instanceIds?: string[]; reason?: string } = {},
  now = new Date(),
): Promise<void> {
  const names: Record<string, string> = { '#s': 'status', '#u': 'updatedAt' };
  const values: Record<string, unknown> = { ':s': status, ':u': now.toISOString() };
  const sets = ['#s = :s', '#u = :u'];
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) continue;
    names[`#${k}`] = k;
    values[`:${k}`] = v;
    sets.push(`#${k} = :${k}`);
  }
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.table,
      Key: { requestId },
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(requestId)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }),
  );
}

/** Who may launch a request's instances, and until when: one invocation, for as long as it can run. */
export interface LaunchClaim {
  readonly owner: string;
  readonly until: Date;
}

/**
 * Marks a request launching and takes the right to launch it until `claim.until`. Two deliveries
 * of one request (a duplicate message, or a redelivery while the first attempt still runs) would
 * otherwise both find no instance and both launch. EC2's ClientToken makes the second launch a
 * no-op, but the emulator ignores it, and the claim keeps the guarantee from resting on one
 * service's idempotency window. Throws LaunchInProgressError while another attempt holds it.
 */
export async function claimLaunch(
  deps: StoreDeps,
  requestId: string,
  claim: LaunchClaim,
  now = new Date(),
): Promise<void> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { requestId },
        UpdateExpression: 'SET #s = :s, #u = :u, #o = :o, #c = :c',
        ConditionExpression:
          'attribute_exists(requestId) AND (attribute_not_exists(#c) OR #c < :u OR #o = :o)',
        ExpressionAttributeNames: {
          '#s': 'status',
          '#u': 'updatedAt',
          '#o': 'launchOwner',
          '#c': 'launchClaimedUntil',
        },
        ExpressionAttributeValues: {
          ':s': 'launching',
          ':u': now.toISOString(),
          ':o': claim.owner,
          ':c': claim.until.toISOString(),
        },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    throw new LaunchInProgressError(`request ${requestId} is being launched by another attempt`);
  }
}

export async function deleteRequest(deps: StoreDeps, requestId: string): Promise<void> {
  await deps.ddb.send(new DeleteCommand({ TableName: deps.table, Key: { requestId } }));
}
