import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Grant, grantKey } from './check.ts';

/** A granted permission no recorded call needs, kept on purpose. */
export interface ExplainedGrant extends Grant {
  readonly reason: string;
}

export const unusedGrantsFile = resolve(import.meta.dirname, 'unused-grants.json');

export function readUnusedGrants(file = unusedGrantsFile): ExplainedGrant[] {
  return JSON.parse(readFileSync(file, 'utf8')) as ExplainedGrant[];
}

const show = (g: Grant) => `${g.role} ${g.policy} ${g.sid}: ${g.action} on ${g.resource}`;

/**
 * Compares the unused grants the check found with the reviewed list: each one left in the template
 * must have a written reason, and the list must not explain grants that are now used or gone.
 */
export function compareUnused(found: readonly Grant[], listed: readonly ExplainedGrant[]) {
  const listedKeys = new Map(listed.map((g) => [grantKey(g), g]));
  const foundKeys = new Set(found.map(grantKey));
  return {
    unexplained: found.filter((g) => !listedKeys.has(grantKey(g))).map(show),
    stale: listed.filter((g) => !foundKeys.has(grantKey(g))).map(show),
    withoutReason: listed.filter((g) => !g.reason?.trim()).map(show),
    warnings: found.map((g) => `${show(g)}: ${listedKeys.get(grantKey(g))?.reason ?? 'NO REASON GIVEN'}`),
  };
}
