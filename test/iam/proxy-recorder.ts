import type { IncomingMessage } from 'node:http';
import { appendRecord } from '#shared/clients/call-recorder.ts';
import type { Operation } from '../helpers/fault-operation.ts';
import type { CallObserver } from '../helpers/fault-proxy.ts';
import { USERID } from './calls.ts';

/** A role session whose calls the proxy records, by the access key it signs with. */
export interface ProxiedSession {
  readonly role: string;
  /** Its aws:userid; keys under `<userid>/` are recorded as `${aws:userid}/…`. */
  readonly userId: string;
}

/** The fault proxy names sub-resource operations by method; the recording uses the API's names. */
const API_NAMES: Record<string, string> = {
  'PUTObject:legal-hold': 'PutObjectLegalHold',
  'GETObject:legal-hold': 'GetObjectLegalHold',
  'PUTObject:retention': 'PutObjectRetention',
  'GETObject:retention': 'GetObjectRetention',
  'PUTObject:tagging': 'PutObjectTagging',
  'GETObject:tagging': 'GetObjectTagging',
  'POSTObject:restore': 'RestoreObject',
};

const header = (req: IncomingMessage, name: string) => {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
};

/**
 * Records, like the SDK middleware in shared/clients/call-recorder.ts does for Node clients, the
 * calls of a program that is not one (the AWS CLI in the shipper script) as they pass the proxy.
 * Only calls signed with a session's access key are recorded, and attributed to its role.
 */
export function proxyRecorder(sessions: ReadonlyMap<string, ProxiedSession>): CallObserver {
  return (op: Operation, req: IncomingMessage) => {
    const accessKey = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1] ?? '';
    const session = sessions.get(accessKey);
    if (!session) return;
    const url = new URL(req.url ?? '/', 'http://proxy');
    const key = op.key?.startsWith(`${session.userId}/`)
      ? `${USERID}/${op.key.slice(session.userId.length + 1)}`
      : op.key;
    const params: Record<string, unknown> = {
      ...(op.bucket ? { Bucket: op.bucket } : {}),
      ...(key !== undefined ? { Key: key } : {}),
      ...(url.searchParams.get('versionId') ? { VersionId: url.searchParams.get('versionId') } : {}),
      ...(header(req, 'x-amz-server-side-encryption')
        ? { ServerSideEncryption: header(req, 'x-amz-server-side-encryption') }
        : {}),
      ...(header(req, 'x-amz-server-side-encryption-aws-kms-key-id')
        ? { SSEKMSKeyId: header(req, 'x-amz-server-side-encryption-aws-kms-key-id') }
        : {}),
      ...(header(req, 'x-amz-tagging') ? { Tagging: true } : {}),
      ...(header(req, 'x-amz-object-lock-mode')
        ? { ObjectLockMode: header(req, 'x-amz-object-lock-mode') }
        : {}),
      ...(header(req, 'x-amz-object-lock-legal-hold')
        ? { ObjectLockLegalHoldStatus: header(req, 'x-amz-object-lock-legal-hold') }
        : {}),
    };
    appendRecord({
      kind: 'call',
      principal: session.role,
      service: op.service,
      operation: API_NAMES[op.name] ?? op.name,
      params,
    });
  };
}
