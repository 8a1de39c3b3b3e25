import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { flagForField, plainIssue } from './api-fields.ts';
import { CliError } from './output.ts';
import type { Target } from './target.ts';

/** SHA-256 for the signer, from node:crypto (what @aws-crypto/sha256-js would do in pure JS). */
class Sha256 {
  private hash: Hash | Hmac;
  constructor(private readonly secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = this.fresh();
  }
  private fresh(): Hash | Hmac {
    if (this.secret === undefined) return createHash('sha256');
    const key = typeof this.secret === 'string' ? this.secret : Buffer.from(this.secret as ArrayBuffer);
    return createHmac('sha256', key as string | Buffer);
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

export interface ApiAnswer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/**
 * Calls the provisioning API. A deployed stage's routes use AWS_IAM, so requests there are SigV4
 * signed for execute-api with the caller's credentials; the local runner checks no signature.
 */
export async function callApi(
  target: Target,
  method: 'GET' | 'POST',
  path: string,
  opts: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  if (!target.apiUrl) throw new CliError(`stage ${target.stage} has no HTTP API (no HttpApiUrl output)`);
  const url = new URL(path, target.apiUrl);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  let headers: Record<string, string> = {
    host: url.host,
    ...(body ? { 'content-type': 'application/json' } : {}),
    ...opts.headers,
  };
  if (target.kind === 'aws') {
    const signer = new SignatureV4({
      service: 'execute-api',
      region: target.region,
      credentials: defaultProvider(),
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      ...(body ? { body } : {}),
    });
    headers = signed.headers;
  }
  const res = await fetch(url, { method, headers, ...(body ? { body } : {}) }).catch((error: Error) => {
    throw new CliError(`cannot reach ${url.origin}: ${error.message}`);
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { message: text.slice(0, 200) };
  }
  return { status: res.status, body: parsed };
}

/**
 * Turns an error answer into one CLI line: the API's message, field by field, each field named by
 * the flag that set it (`--every`, not `backupFrequency`) and each rule in words. 4xx is bad usage.
 */
export function apiError(answer: ApiAnswer, sent?: Record<string, unknown>): CliError {
  const errors = (answer.body.errors as { field: string; message: string }[] | undefined) ?? [];
  const detail = errors.length
    ? errors.map((e) => `${flagForField(e.field, sent)}: ${plainIssue(e.message)}`).join('; ')
    : String(answer.body.message ?? 'no details');
  const id = answer.body.requestId ? ` (API request id ${String(answer.body.requestId)})` : '';
  const what = answer.status < 500 ? 'refused the request' : `failed (HTTP ${answer.status})`;
  return new CliError(`the API ${what}: ${detail}${id}`, answer.status < 500 ? 2 : 1);
}
