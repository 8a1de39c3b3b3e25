import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PolicyConfigError } from '#shared/policy/errors.ts';
import { computeExpiry } from '#shared/policy/expiry.ts';
import { loadPoliciesFile } from '#shared/policy/load.ts';
import { resolvePolicy } from '#shared/policy/match.ts';
import type { Policy } from '#shared/policy/schema.ts';
import { file, policy } from './fixtures.ts';

const shipped = fileURLToPath(new URL('../../../policies.json', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'logvault-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function written(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function loadError(path: string): PolicyConfigError {
  try {
    loadPoliciesFile(path);
  } catch (error) {
    if (error instanceof PolicyConfigError) return error;
    throw error;
  }
  throw new Error(`expected ${path} to be refused`);
}

describe('the shipped policies.json', () => {
  const set = loadPoliciesFile(shipped);

  it('parses, with standard as the default and the platform policies besides it', () => {
    expect(set.version).toBe(1);
    expect(set.defaultPolicy.name).toBe('standard');
    expect(set.policies.map((p) => p.name)).toEqual([
      'standard',
      'instances',
      'audit',
      'debug',
      'db-backups',
    ]);
  });

  it('routes each kind of source to its policy', () => {
    const chosen = (source: string) => resolvePolicy(set, { source }).policy.name;

    expect(chosen('i-0123456789abcdef0')).toBe('instances');
    expect(chosen('audit-cloudtrail')).toBe('audit');
    expect(chosen('debug-payments')).toBe('debug');
    expect(chosen('db-orders')).toBe('db-backups');
    expect(chosen('nginx')).toBe('standard');
  });

  it('configures the standard policy as documented', () => {
    expect(set.defaultPolicy).toMatchObject({
      match: { sources: ['*'] },
      retention: { days: 90 },
      storage: { class: 'STANDARD', transitions: [{ days: 30, class: 'STANDARD_IA' }] },
      codec: { name: 'zstd', level: 3 },
      deleteSourceAfterArchive: true,
    });
  });

  it('keeps audit logs forever, locked', () => {
    const audit = set.policies.find((p) => p.name === 'audit') as Policy;

    expect(computeExpiry(audit, new Date('2025-01-01T00:00:00Z'))).toBeNull();
    expect(audit.objectLock).toEqual({ mode: 'GOVERNANCE', days: 365 });
    expect(audit.storage.class).toBe('GLACIER_IR');
  });

  it('is deeply frozen', () => {
    expect(Object.isFrozen(set)).toBe(true);
    expect(Object.isFrozen(set.policies)).toBe(true);
    expect(Object.isFrozen(set.defaultPolicy.match.sources)).toBe(true);
    expect(() => {
      (set.defaultPolicy.retention as { days: number }).days = 1;
    }).toThrow(TypeError);
  });
});

describe('loadPoliciesFile', () => {
  it('names the file when it cannot be read', () => {
    const path = join(dir, 'missing.json');

    expect(loadError(path).message).toMatch(
      new RegExp(`^${path.replace(/[.\\]/g, '\\$&')}: cannot be read \\(ENOENT`),
    );
  });

  it('names the file when it is not JSON', () => {
    const path = written('broken.json', '{ "version": 1,');

    expect(loadError(path).message).toContain(`${path}: is not valid JSON`);
  });

  it('names the file and the field when a rule is broken', () => {
    const path = written('bad.json', JSON.stringify(file(policy('a', { retention: { days: -1 } }))));

    const error = loadError(path);

    expect(error.message).toBe(`${path}: policies[1].retention.days: must be a positive integer`);
    expect(error.file).toBe(path);
    expect(error.issues).toEqual([
      { path: 'policies[1].retention.days', rule: 'must be a positive integer' },
    ]);
  });

  it('loads a valid file', () => {
    const path = written('ok.json', JSON.stringify(file(policy('a'))));

    expect(loadPoliciesFile(path).policies.map((p) => p.name)).toEqual(['standard', 'a']);
  });
});
