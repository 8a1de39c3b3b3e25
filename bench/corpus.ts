import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { seededRandom } from '#local/seeded-random.ts';

/**
 * A deterministic, seeded generator of realistic logs: nginx access lines, JSON application logs
 * with request and trace ids (shared by the several lines one request writes), and syslog. Values
 * repeat the way production logs do (a few hundred paths, hosts, users and messages), so that
 * gzip -6 gets about 8–9× on it.
 */

export const MiB = 1024 * 1024;
export const DEFAULT_SEED = 0x10650a17;
/** Generated once per stream and repeated beyond that (see cyclicCorpus). */
export const BLOCK_BYTES = 64 * MiB;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const METHODS = ['GET', 'GET', 'GET', 'GET', 'POST', 'POST', 'PUT', 'DELETE'];
const STATUS = [200, 200, 200, 200, 200, 200, 200, 204, 301, 304, 400, 401, 403, 404, 404, 500, 502];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  'curl/8.10.1',
  'Go-http-client/2.0',
  'kube-probe/1.31',
  'Prometheus/2.55.0',
];
const RESOURCES = ['users', 'orders', 'carts', 'products', 'payments', 'sessions', 'invoices', 'search'];
const SERVICES = ['checkout', 'catalog', 'auth', 'payments', 'search', 'inventory'];
const MESSAGES = [
  ['info', 'request completed'],
  ['info', 'order placed'],
  ['info', 'cache hit'],
  ['debug', 'cache miss, loading from database'],
  ['info', 'payment authorized'],
  ['warn', 'slow query'],
  ['warn', 'retrying upstream call'],
  ['error', 'upstream timeout'],
  ['info', 'session refreshed'],
  ['debug', 'feature flag evaluated'],
] as const;
const SYSLOG = [
  (r: Rng) =>
    `sshd[${r.int(900, 4000)}]: Accepted publickey for deploy from ${r.ip()} port ${r.int(30000, 65000)} ssh2`,
  (r: Rng) =>
    `sshd[${r.int(900, 4000)}]: pam_unix(sshd:session): session opened for user deploy(uid=1001) by (uid=0)`,
  (r: Rng) => `CRON[${r.int(1000, 9000)}]: (root) CMD (/usr/local/bin/logrotate-hourly >/dev/null 2>&1)`,
  (r: Rng) => `systemd[1]: Started session-${r.int(1, 500)}.scope - Session ${r.int(1, 500)} of User deploy.`,
  (r: Rng) =>
    `kernel: [${r.int(100000, 999999)}.${r.int(100000, 999999)}] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.`,
  (_: Rng) =>
    `dockerd[812]: level=info msg="ignoring event" module=libcontainerd namespace=moby topic=/tasks/delete`,
];

interface Rng {
  next(): number;
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  hex(n: number): string;
  ip(): string;
}

function rng(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T,
    hex: (n) => {
      let s = '';
      while (s.length < n)
        s += Math.floor(next() * 0x100000000)
          .toString(16)
          .padStart(8, '0');
      return s.slice(0, n);
    },
    ip: () => `10.${int(0, 3)}.${int(0, 15)}.${int(1, 254)}`,
  };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Yields log text in chunks of about `chunk` bytes, forever; the caller stops reading. */
function* logText(seed: number, chunk: number): Generator<string> {
  const r = rng(seed);
  let t = Date.UTC(2026, 10, 24, 0, 0, 0);
  const hosts = Array.from({ length: 12 }, (_, i) => `web-${pad(i + 1)}`);
  const users = Array.from({ length: 3000 }, () => r.int(1000, 99999));
  let parts: string[] = [];
  let size = 0;
  while (true) {
    t += r.int(0, 40);
    const d = new Date(t);
    const kind = r.next();
    let lines: string[];
    if (kind < 0.45) {
      const path = `/api/v1/${r.pick(RESOURCES)}/${r.pick(users)}`;
      const stamp = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
      lines = [
        `${r.ip()} - - [${stamp}] "${r.pick(METHODS)} ${path} HTTP/1.1" ${r.pick(STATUS)} ${r.int(0, 4) * 512 + r.int(0, 9)} "-" "${r.pick(AGENTS)}" rt=0.${pad(r.int(1, 300), 3)}`,
      ];
    } else if (kind < 0.85) {
      // One request writes several lines that share its ids.
      const requestId = `req-${r.hex(12)}`;
      const traceId = r.hex(32);
      const service = r.pick(SERVICES);
      const user = r.pick(users);
      lines = [];
      const n = r.int(3, 7);
      for (let i = 0; i < n; i++) {
        const [level, msg] = r.pick(MESSAGES);
        lines.push(
          `{"ts":"${new Date(t + i * r.int(0, 3)).toISOString()}","level":"${level}","service":"${service}","msg":"${msg}","request_id":"${requestId}","trace_id":"${traceId}","span_id":"${traceId.slice(0, 8)}${r.hex(8)}","user_id":${user},"duration_ms":${r.int(1, 250)}}`,
        );
      }
    } else {
      const stamp = `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
      lines = [`${stamp} ${r.pick(hosts)} ${r.pick(SYSLOG)(r)}`];
    }
    for (const l of lines) {
      parts.push(l, '\n');
      size += l.length + 1;
    }
    if (size >= chunk) {
      yield parts.join('');
      parts = [];
      size = 0;
    }
  }
}

/** Exactly `bytes` of generated logs, as a Buffer. */
export function corpusBuffer(bytes: number, seed = DEFAULT_SEED): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const text of logText(seed, MiB)) {
    at += out.write(text, at, 'latin1');
    if (at >= bytes) break;
  }
  return out;
}

/** Writes `bytes` of generated logs to `path` unless a file of that size is already there. */
export async function writeCorpus(path: string, bytes: number, seed = DEFAULT_SEED): Promise<void> {
  if (existsSync(path) && statSync(path).size === bytes) return;
  let left = bytes;
  async function* chunks() {
    for (const text of logText(seed, MiB)) {
      const b = Buffer.from(text, 'latin1');
      const part = b.length <= left ? b : b.subarray(0, left);
      left -= part.length;
      yield part;
      if (left === 0) return;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
}

/**
 * A stream of `bytes` of generated logs for sizes larger than memory allows: one seeded block
 * (64 MiB by default) generated once and repeated. Repeats are further apart than any window
 * zstd-3 (2 MiB) or gzip (32 KiB) can see, so the ratio is the block's own.
 */
export function* cyclicCorpus(bytes: number, block: Buffer, chunk = MiB): Generator<Buffer> {
  let left = bytes;
  let at = 0;
  while (left > 0) {
    const n = Math.min(chunk, left, block.length - at);
    yield block.subarray(at, at + n);
    left -= n;
    at = (at + n) % block.length;
  }
}

/** SHA-256 (hex) of `cyclicCorpus(bytes, block)`. */
export function cyclicSha256(bytes: number, block: Buffer): string {
  const hash = createHash('sha256');
  for (const c of cyclicCorpus(bytes, block, 16 * MiB)) hash.update(c);
  return hash.digest('hex');
}

/** Size in bytes from `LOGVAULT_BENCH_MIB` or a `--mib=N` flag, else the default. */
export function corpusBytes(argv: string[] = process.argv, fallbackMiB = 256): number {
  const flag = argv.find((a) => a.startsWith('--mib='))?.slice(6);
  const mib = Number(flag ?? process.env.LOGVAULT_BENCH_MIB ?? fallbackMiB);
  if (!Number.isFinite(mib) || mib <= 0) throw new Error(`bad corpus size: ${flag}`);
  return Math.round(mib * MiB);
}
