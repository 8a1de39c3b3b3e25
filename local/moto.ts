import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

/** A running moto server, reachable at `endpoint`. */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  stop(): Promise<void>;
}

const projectRoot = resolve(import.meta.dirname, '..');
export const motoBinary = resolve(projectRoot, '.venv/bin/moto_server');
const venvPython = resolve(projectRoot, '.venv/bin/python');
/** moto's server with DynamoDB's conditional writes made atomic, as they are on AWS. */
const motoLauncher = resolve(projectRoot, 'local/moto_server.py');

/** Asks the kernel for a free loopback port. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

async function waitUntilAnswering(endpoint: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`moto_server exited with code ${child.exitCode} before answering`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`moto_server did not answer at ${endpoint} within ${deadlineMs} ms`);
}

/**
 * Runs moto under a small watchdog that stops it when this process dies, even by SIGKILL,
 * so an interrupted `logvault dev` or test run never leaves an emulator behind.
 */
const WATCHDOG = `"$1" "$2" -H 127.0.0.1 -p "$3" & moto=$!
trap 'kill $moto 2>/dev/null; wait $moto; exit 0' TERM INT
while kill -0 "$4" 2>/dev/null && kill -0 $moto 2>/dev/null; do sleep 0.5; done
kill $moto 2>/dev/null; wait $moto`;

/** Starts moto on 127.0.0.1 on a free port and waits until it answers. */
export async function startMoto(opts: { port?: number; quiet?: boolean } = {}): Promise<MotoServer> {
  if (!existsSync(motoBinary)) {
    throw new Error(
      `moto is not installed at ${motoBinary}: run 'bash scripts/python-env.sh' (npm test and npm run demo do it for you)`,
    );
  }
  const port = opts.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn(
    'bash',
    ['-c', WATCHDOG, 'moto-watchdog', venvPython, motoLauncher, String(port), String(process.pid)],
    {
      stdio: opts.quiet === false ? 'inherit' : 'ignore',
      env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'false' },
    },
  );
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    await waitUntilAnswering(endpoint, child, 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Forgets every resource moto holds. */
export async function resetMoto(endpoint: string): Promise<void> {
  const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
  if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
}
