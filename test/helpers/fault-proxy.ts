import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { seededRandom } from '#local/seeded-random.ts';
import { type ErrorFault, errorResponse } from './fault-errors.ts';
import { labelOf, type Operation, operationOf } from './fault-operation.ts';

export type FaultKind = ErrorFault | 'reset' | 'delay';

/**
 * When a rule fires. `request`: the emulator never sees the call. `response`: the emulator carries
 * it out and the answer is lost, so a retry repeats a call that already happened.
 */
export type FaultPhase = 'request' | 'response';

export interface FaultRule {
  /** Which calls the rule considers; its call counter counts only these. */
  readonly match: (op: Operation) => boolean;
  readonly kind: FaultKind | readonly FaultKind[];
  /** Fire on these matched calls (1-based). */
  readonly calls?: readonly number[];
  /** Fire on this fraction of matched calls, drawn from the proxy's seeded generator. */
  readonly rate?: number;
  /** Stop after this many faults. */
  readonly limit?: number;
  readonly phase?: FaultPhase | 'either';
  /** For `delay`: how long the call is held before it goes on. */
  readonly delayMs?: number;
}

export interface FaultStats {
  readonly requests: number;
  /** Errors and resets; delays are counted apart. */
  readonly injected: number;
  readonly delayed: number;
  readonly byOperation: Record<string, number>;
  readonly byKind: Record<string, number>;
  /** Messages SQS delivered again (ApproximateReceiveCount > 1), read from ReceiveMessage answers. */
  readonly redelivered: number;
}

export interface FaultProxy {
  readonly endpoint: string;
  readonly seed: number;
  /** Replaces the rules; counters of calls per rule start again. */
  setRules(rules: readonly FaultRule[]): void;
  /** Every call the proxy saw since the last reset, by label, in order. */
  readonly seen: readonly Operation[];
  stats(): FaultStats;
  resetStats(): void;
  stop(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function countRedelivered(op: Operation, body: Buffer): number {
  if (op.service !== 'sqs' || op.name !== 'ReceiveMessage') return 0;
  try {
    const { Messages = [] } = JSON.parse(body.toString('utf8')) as {
      Messages?: { Attributes?: { ApproximateReceiveCount?: string } }[];
    };
    return Messages.filter((m) => Number(m.Attributes?.ApproximateReceiveCount ?? 1) > 1).length;
  } catch {
    return 0;
  }
}

/** Sees each call as it arrives, before any rule: its operation and the request it came in. */
export type CallObserver = (op: Operation, request: IncomingMessage) => void;

/**
 * An HTTP proxy in front of the emulator that fails chosen AWS calls: 500 InternalError,
 * 503 SlowDown, a connection reset, or a delay, on the Nth matching call or at a seeded rate.
 */
export async function startFaultProxy(
  target: string,
  seed = Date.now() % 2 ** 31,
  observe?: CallObserver,
): Promise<FaultProxy> {
  const upstream = new URL(target);
  const random = seededRandom(seed);
  let rules: { rule: FaultRule; calls: number; fired: number }[] = [];
  let seen: Operation[] = [];
  let stats = { requests: 0, injected: 0, delayed: 0, byOperation: {}, byKind: {}, redelivered: 0 } as {
    requests: number;
    injected: number;
    delayed: number;
    byOperation: Record<string, number>;
    byKind: Record<string, number>;
    redelivered: number;
  };
  const sockets = new Set<Socket>();

  function choose(op: Operation): { kind: FaultKind; phase: FaultPhase; delayMs: number } | undefined {
    for (const r of rules) {
      if (!r.rule.match(op)) continue;
      r.calls += 1;
      if (r.rule.limit !== undefined && r.fired >= r.rule.limit) continue;
      const byCall = r.rule.calls?.includes(r.calls) ?? false;
      const byRate = r.rule.rate !== undefined && random() < r.rule.rate;
      if (!byCall && !byRate) continue;
      r.fired += 1;
      const kinds = [r.rule.kind].flat();
      const kind = kinds[Math.floor(random() * kinds.length)] ?? 'internal-error';
      const phase = r.rule.phase === 'either' ? (random() < 0.5 ? 'request' : 'response') : r.rule.phase;
      return { kind, phase: phase ?? 'request', delayMs: r.rule.delayMs ?? 0 };
    }
    return undefined;
  }

  function record(op: Operation, kind: FaultKind): void {
    if (kind === 'delay') stats.delayed += 1;
    else stats.injected += 1;
    const label = labelOf(op);
    stats.byOperation[label] = (stats.byOperation[label] ?? 0) + 1;
    stats.byKind[kind] = (stats.byKind[kind] ?? 0) + 1;
  }

  function forward(
    req: IncomingMessage,
    body: Buffer,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    return new Promise((done, fail) => {
      const out = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, 'content-length': String(body.length) },
        },
        (res) => {
          readBody(res).then(
            (b) => done({ status: res.statusCode ?? 502, headers: res.headers, body: b }),
            fail,
          );
        },
      );
      out.on('error', fail);
      out.end(body);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const op = operationOf(req.method ?? 'GET', req.url ?? '/', req.headers, body);
    stats.requests += 1;
    seen.push(op);
    observe?.(op, req);
    const fault = choose(op);
    if (fault) record(op, fault.kind);
    if (fault?.kind === 'delay') await new Promise((r) => setTimeout(r, fault.delayMs));
    const injectNow = fault && fault.kind !== 'delay' && fault.phase === 'request';
    if (injectNow && fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (injectNow && fault.kind !== 'reset') {
      const e = errorResponse(op, fault.kind as ErrorFault);
      res.writeHead(e.status, { ...e.headers, 'content-length': String(Buffer.byteLength(e.body)) });
      res.end(e.body);
      return;
    }
    const answer = await forward(req, body);
    if (fault && fault.kind !== 'delay' && fault.phase === 'response') {
      // The call happened; only its answer is lost.
      if (fault.kind === 'reset') req.socket.destroy();
      else {
        const e = errorResponse(op, fault.kind as ErrorFault);
        res.writeHead(e.status, { ...e.headers, 'content-length': String(Buffer.byteLength(e.body)) });
        res.end(e.body);
      }
      return;
    }
    stats.redelivered += countRedelivered(op, answer.body);
    const headers = { ...answer.headers };
    // A HEAD answer's content-length is the object's, not this (empty) body's.
    if (req.method !== 'HEAD') {
      delete headers['transfer-encoding'];
      headers['content-length'] = String(answer.body.length);
    }
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`fault proxy: ${error.message}`);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    seed,
    setRules(next) {
      rules = next.map((rule) => ({ rule, calls: 0, fired: 0 }));
    },
    get seen() {
      return seen;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = { requests: 0, injected: 0, delayed: 0, byOperation: {}, byKind: {}, redelivered: 0 };
      seen = [];
    },
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Matchers for rules. */
export const on = {
  services:
    (...services: string[]) =>
    (op: Operation) =>
      services.includes(op.service),
  operation: (service: string, name: string, bucket?: string) => (op: Operation) =>
    op.service === service && op.name === name && (bucket === undefined || op.bucket === bucket),
  /** Whatever `match` matches, except what `but` matches. */
  except: (match: (op: Operation) => boolean, but: (op: Operation) => boolean) => (op: Operation) =>
    match(op) && !but(op),
  /** UploadPart of one part number into a bucket. */
  part: (bucket: string, part: number) => (op: Operation) =>
    op.service === 's3' && op.name === 'UploadPart' && op.bucket === bucket && op.part === part,
};
