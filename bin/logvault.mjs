#!/usr/bin/env node
// logvault needs Node >= 22.15 (zlib's zstd). On an older Node, re-run under the project's own
// Node 24 (the `node` package from npm) or, failing that, one fetched by npx.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 15)) {
  const local = join(here, '..', 'node_modules', 'node', 'bin', 'node');
  const [cmd, pre] = existsSync(local) ? [local, []] : ['npx', ['-y', 'node@24']];
  const res = spawnSync(cmd, [...pre, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(res.status ?? 1);
}
const { register } = await import('tsx/esm/api');
register();
await import(join(here, '..', 'cli', 'main.ts'));
