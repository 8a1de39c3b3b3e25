import type { IncomingHttpHeaders } from 'node:http';

/** One AWS API call as seen on the wire. */
export interface Operation {
  /** The signing name from the SigV4 credential scope: s3, sqs, kms, ec2, dynamodb, iam… */
  readonly service: string;
  /** The API operation, e.g. UploadPart, ReceiveMessage, GenerateDataKey, RunInstances. */
  readonly name: string;
  readonly bucket?: string;
  readonly key?: string;
  /** UploadPart's part number. */
  readonly part?: number;
}

function serviceOf(headers: IncomingHttpHeaders): string {
  const auth = String(headers.authorization ?? '');
  return /Credential=[^/]+\/\d{8}\/[^/]+\/([^/]+)\//.exec(auth)?.[1] ?? 'unknown';
}

/** S3's REST operations, told apart by method, path depth and sub-resource query. */
function s3Operation(method: string, url: URL, headers: IncomingHttpHeaders): Operation {
  const [, bucket = '', ...rest] = url.pathname.split('/');
  const key = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  const q = url.searchParams;
  const part = q.has('partNumber') ? Number(q.get('partNumber')) : undefined;
  const at = { service: 's3', bucket, ...(key ? { key } : {}), ...(part ? { part } : {}) };
  const name = (() => {
    if (q.has('uploads')) return method === 'POST' ? 'CreateMultipartUpload' : 'ListMultipartUploads';
    if (q.has('uploadId')) {
      if (method === 'PUT') return 'UploadPart';
      if (method === 'POST') return 'CompleteMultipartUpload';
      if (method === 'DELETE') return 'AbortMultipartUpload';
      return 'ListParts';
    }
    if (q.has('delete')) return 'DeleteObjects';
    if (!key) {
      if (method === 'GET') return q.has('versions') ? 'ListObjectVersions' : 'ListObjectsV2';
      return `${method}Bucket`;
    }
    const sub = ['tagging', 'legal-hold', 'retention', 'restore'].find((s) => q.has(s));
    if (sub) return `${method}Object:${sub}`;
    if (method === 'PUT') return headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    return { GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method] ?? `${method}Object`;
  })();
  return { ...at, name };
}

/** Names the operation of a request to the emulator, from its signature, path, target header or form body. */
export function operationOf(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  body: Buffer,
): Operation {
  const service = serviceOf(headers);
  const url = new URL(path, 'http://emulator');
  if (service === 's3') return s3Operation(method, url, headers);
  const target = headers['x-amz-target'];
  if (typeof target === 'string') return { service, name: target.split('.').pop() ?? target };
  // Query protocols (EC2, IAM, STS) put the action in a form body.
  const action = new URLSearchParams(body.toString('utf8')).get('Action') ?? url.searchParams.get('Action');
  return { service, name: action ?? `${method} ${url.pathname}` };
}

/** The label used in counts: service:Operation. */
export const labelOf = (op: Operation) => `${op.service}:${op.name}`;
