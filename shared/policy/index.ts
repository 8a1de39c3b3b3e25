export { PolicyConfigError, type PolicyIssue } from './errors.ts';
export { computeExpiry, expiryDay, SMALL_OBJECT_BYTES, storageClassAtWrite } from './expiry.ts';
export { loadPoliciesFile, type PolicySet, parsePolicies } from './load.ts';
export { type PolicyResolution, type PolicyTarget, resolvePolicy } from './match.ts';
export {
  type CodecSpec,
  codecSpecSchema,
  type Policy,
  type PolicyFile,
  type PolicyFileInput,
  policyFileSchema,
  policySchema,
  type Retention,
  type StorageClass,
  storageClassSchema,
} from './schema.ts';
