import { expect } from 'vitest';
import { PolicyConfigError } from '#shared/policy/errors.ts';
import { type PolicySet, parsePolicies } from '#shared/policy/load.ts';

/** Plain JSON object, loose on purpose: these fixtures are meant to be wrong in many ways. */
export type Json = Record<string, unknown>;

/** A valid non-default policy whose only source glob is `<name>-*`, so fixtures never overlap by accident. */
export function policy(name: string, overrides: Json = {}): Json {
  return {
    name,
    match: { sources: [`${name}-*`] },
    retention: { days: 90 },
    storage: { class: 'STANDARD' },
    codec: { name: 'zstd' },
    ...overrides,
  };
}

/** A valid file: default policy `standard` matching `*`, then the given policies. */
export function file(...policies: Json[]): Json {
  return {
    version: 1,
    defaultPolicy: 'standard',
    policies: [policy('standard', { match: { sources: ['*'] } }), ...policies],
  };
}

/** Parses and returns the set, failing the test with the validator's own message if it refuses. */
export function accepted(json: unknown): PolicySet {
  return parsePolicies(json);
}

/** The PolicyConfigError `parsePolicies` throws; fails the test if it accepts or throws anything else. */
export function refusal(json: unknown): PolicyConfigError {
  try {
    parsePolicies(json);
  } catch (error) {
    if (error instanceof PolicyConfigError) return error;
    throw error;
  }
  throw new Error('expected a PolicyConfigError, but the policies were accepted');
}

/** Asserts a refusal with an issue at exactly `path` whose rule contains `rule`, and that the message shows both. */
export function expectIssue(json: unknown, path: string, rule: string): PolicyConfigError {
  const error = refusal(json);
  expect(error.issues).toContainEqual({ path, rule: expect.stringContaining(rule) });
  expect(error.message).toContain(`${path}: `);
  expect(error.message).toContain(rule);
  return error;
}
