import policyFile from '../policies.json' with { type: 'json' };
import { type PolicySet, parsePolicies } from './policy/index.ts';

/** The bundled policy file, validated at cold start: a malformed file stops the function here. */
export const policies: PolicySet = parsePolicies(policyFile);
