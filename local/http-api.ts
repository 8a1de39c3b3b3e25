import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpRoute, LocalFunction } from './functions.ts';

// API Gateway HTTP APIs refuse payloads over 10 MB before any function runs.
const MAX_PAYLOAD = 10 * 1024 * 1024;

/** The route a request matches and its path parameters, still percent-encoded as they arrived. */
function matchRoute(routes: HttpRoute[], method: string, path: string) {
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    const names: string[] = [];
    const pattern = route.path
      .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
      .replace(/\\?\{([^}+]+)\+?\}/g, (_m, n: string) => {
        names.push(n.replace(/\\/g, ''));
        return '([^/]+)';
      });
    const m = new RegExp(`^${pattern}$`).exec(path);
    if (m) return { route, rawParams: names.map((n, i) => [n, m[i + 1] ?? ''] as const) };
  }
  return undefined;
}

/** Percent-decodes, or `undefined` for a malformed escape such as `%E0%A4%A` (a 400, not a crash). */
function decodeOrUndefined(encoded: string): string | undefined {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return undefined;
  }
}

/** Path parameters decoded as API Gateway passes them on, or `undefined` if any is malformed. */
function decodeParams(raw: readonly (readonly [string, string])[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [name, value] of raw) {
    const decoded = decodeOrUndefined(value);
    if (decoded === undefined) return undefined;
    params[name] = decoded;
  }
  return params;
}

async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD) return 'too-large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

// The Lambda Invoke API's path, so `aws lambda invoke --endpoint-url` and SDK clients work locally.
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

type Send = (status: number, body: unknown, headers?: Record<string, string>) => void;

/** Runs one function with a raw event, answering like Lambda's Invoke API (RequestResponse). */
async function invokeDirectly(
  functions: LocalFunction[],
  name: string,
  body: Buffer | 'too-large',
  send: Send,
) {
  const fn = functions.find((f) => f.name === name || f.logicalId === name || f.name.endsWith(`-${name}`));
  if (!fn) return send(404, { Type: 'User', message: `Function not found: ${name}` });
  if (body === 'too-large') return send(413, { Type: 'User', message: 'Request payload too large' });
  let event: unknown;
  try {
    event = body.length ? JSON.parse(body.toString('utf8')) : {};
  } catch {
    return send(400, { Type: 'User', message: 'Could not parse request body into json' });
  }
  try {
    send(200, JSON.stringify((await fn.invoke(event)) ?? null));
  } catch (error) {
    const e = error as Error;
    send(200, { errorType: e.name, errorMessage: e.message }, { 'x-amz-function-error': 'Unhandled' });
  }
}

/**
 * Serves the template's HTTP API routes with API Gateway's v2.0 payload format. Routes that use
 * AWS_IAM are served without signature checks locally; the request context carries a fixed local
 * IAM identity so handlers see the same shape as in AWS. It also answers Lambda's Invoke API for
 * every function, so a sample event can be sent to any handler.
 */
export async function startHttpApi(
  routes: HttpRoute[],
  port: number,
  functions: LocalFunction[] = [],
): Promise<{ url: string; stop(): Promise<void> }> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const badRequest = () => send(400, { message: 'Bad Request' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://local');
    } catch {
      return badRequest();
    }
    const method = req.method ?? 'GET';
    const invocation = INVOKE_PATH.exec(url.pathname);
    if (method === 'POST' && invocation) {
      const name = decodeOrUndefined(invocation[1] ?? '');
      if (name === undefined) return badRequest();
      return invokeDirectly(functions, name, await readBody(req), send);
    }
    const found = matchRoute(routes, method, url.pathname);
    if (!found) return send(404, { message: 'Not Found' });
    const params = decodeParams(found.rawParams);
    if (!params) return badRequest();
    const match = { route: found.route, params };
    const body = await readBody(req);
    if (body === 'too-large') return send(413, { message: 'Request Entity Too Large' });
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]),
    );
    const requestId = randomUUID();
    const event: APIGatewayProxyEventV2 = {
      version: '2.0',
      routeKey: `${match.route.method} ${match.route.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
      ...(Object.keys(match.params).length ? { pathParameters: match.params } : {}),
      requestContext: {
        accountId: '123456789012',
        apiId: 'local',
        domainName: headers.host ?? 'localhost',
        domainPrefix: 'local',
        http: {
          method,
          path: url.pathname,
          protocol: 'HTTP/1.1',
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
          userAgent: headers['user-agent'] ?? '',
        },
        requestId,
        routeKey: `${match.route.method} ${match.route.path}`,
        stage: '$default',
        time: new Date().toUTCString(),
        timeEpoch: Date.now(),
        ...(match.route.authorization === 'AWS_IAM'
          ? {
              authorizer: {
                iam: {
                  accessKey: 'local',
                  accountId: '123456789012',
                  callerId: 'local',
                  principalOrgId: null,
                  userArn: 'arn:aws:iam::123456789012:user/local',
                  userId: 'local',
                },
              },
            }
          : {}),
      } as APIGatewayProxyEventV2['requestContext'],
      body: body.length ? body.toString('base64') : undefined,
      isBase64Encoded: body.length > 0,
    } as APIGatewayProxyEventV2;
    try {
      const result = (await match.route.fn.invoke(event)) as
        | APIGatewayProxyStructuredResultV2
        | string
        | undefined;
      if (typeof result === 'string' || result === undefined || !('statusCode' in result)) {
        return send(200, result ?? '');
      }
      const out =
        result.isBase64Encoded && result.body ? Buffer.from(result.body, 'base64') : (result.body ?? '');
      res.writeHead(result.statusCode ?? 200, {
        'content-type': 'application/json',
        ...(result.headers as Record<string, string>),
      });
      res.end(out);
    } catch {
      // API Gateway answers an unhandled function error with a bare 500 and no details.
      send(500, { message: 'Internal Server Error' }, { 'apigw-requestid': requestId });
    }
  };
  // Whatever a request holds, it gets an answer: an error here must never reach the process (and
  // take the emulator and every other route down with it).
  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error' }));
      } else res.destroy();
    });
  });
  // Clients close idle connections after about 4 s (undici); a server that closed first could
  // reset a request sent on a connection it had just given up, so it waits longer than they do.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const address = server.address();
  const actual = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${actual}`,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
