import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const projectRoot = resolve(import.meta.dirname, '..');

/** Files whose changes change the template's shape (code changes do not: handlers run from source). */
function templateInputs(): string[] {
  const infra = join(projectRoot, 'infra');
  const extra = existsSync(infra) ? readdirSync(infra).map((f) => join(infra, f)) : [];
  return [join(projectRoot, 'serverless.yml'), join(projectRoot, 'policies.json'), ...extra].filter(
    existsSync,
  );
}

export function packageDir(stage: string): string {
  return join(projectRoot, '.logvault', `package-${stage}`);
}

export function templatePath(stage: string): string {
  return join(packageDir(stage), 'cloudformation-template-update-stack.json');
}

/** Runs `serverless package` (offline, no credentials) for a stage. */
export async function packageStack(stage: string, outDir = packageDir(stage)): Promise<void> {
  const bin = join(projectRoot, 'node_modules', '.bin', 'serverless');
  await new Promise<void>((done, fail) => {
    const child = spawn(bin, ['package', '--stage', stage, '--package', outDir], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', fail);
    child.on('exit', (code) =>
      code === 0 ? done() : fail(new Error(`serverless package failed (exit ${code}):\n${output.trim()}`)),
    );
  });
}

/** Packages the stage unless its template is newer than everything that shapes it. */
export async function ensurePackaged(stage: string): Promise<string> {
  const path = templatePath(stage);
  const fresh =
    existsSync(path) && templateInputs().every((f) => statSync(f).mtimeMs <= statSync(path).mtimeMs);
  if (!fresh) await packageStack(stage);
  return path;
}
