import { DEFAULT_PACK_THRESHOLD_BYTES } from '#shared/archive/pack-limits.ts';
import {
  type Policy,
  SMALL_OBJECT_BYTES,
  type StorageClass,
  storageClassAtWrite,
} from '#shared/policy/index.ts';
import { humanBytes } from './output.ts';

export interface StorageExplanation {
  /** The class the archive is written in (for a given size), or the policy's class. */
  readonly classAtWrite: StorageClass;
  /** Transitions lifecycle applies to it (none for a small archive). */
  readonly transitions: readonly { days: number; class: StorageClass }[];
  readonly why: string;
  /** How logs become archives: small ones packed together, large ones alone. */
  readonly packing: string;
}

/**
 * Small logs are not archived alone: every log up to the pack threshold is packed with the other
 * logs of its policy archived in the same batch, and the pack is the archive whose size counts.
 */
export const PACKING =
  `logs up to ${humanBytes(DEFAULT_PACK_THRESHOLD_BYTES)} (the default pack threshold) are packed with the ` +
  'other logs of their policy archived in the same batching window, and the pack is the archive whose size ' +
  'counts here; larger logs are archived alone';

const SMALL = `${SMALL_OBJECT_BYTES / 1024} KiB`;
const SMALL_RULE =
  `S3 bills the infrequent-access and Glacier classes as at least ${SMALL} per object, and lifecycle ` +
  `rules do not transition objects under ${SMALL}`;

const plan = (policy: Policy) =>
  [policy.storage.class, ...policy.storage.transitions.map((t) => `${t.class} after ${t.days} days`)].join(
    ', then ',
  );

/**
 * The storage class an archive really gets under a policy, and why. Archives under 128 KiB are
 * written STANDARD whatever the policy says and stay there (storageClassAtWrite); without a size,
 * the answer says which sizes the policy's classes apply to.
 */
export function explainStorage(policy: Policy, archivedBytes?: number): StorageExplanation {
  const planned = plan(policy);
  const needsSize = policy.storage.class !== 'STANDARD' || policy.storage.transitions.length > 0;
  if (archivedBytes === undefined) {
    return {
      classAtWrite: policy.storage.class,
      transitions: policy.storage.transitions,
      packing: PACKING,
      why: needsSize
        ? `${planned}, for archives of ${SMALL} or more; smaller ones are written STANDARD and stay there (${SMALL_RULE}); --size tells for one size`
        : planned,
    };
  }
  const size = humanBytes(archivedBytes);
  const classAtWrite = storageClassAtWrite(policy, archivedBytes);
  if (archivedBytes < SMALL_OBJECT_BYTES && needsSize) {
    return {
      classAtWrite,
      transitions: [],
      packing: PACKING,
      why:
        `STANDARD, and it stays there: a ${size} archive is under ${SMALL}, and ${SMALL_RULE} (the policy says ${planned}); ` +
        'small logs are packed together, so an archive this small is the pack of a quiet batching window',
    };
  }
  return {
    classAtWrite,
    transitions: policy.storage.transitions,
    packing: PACKING,
    why: needsSize
      ? `${planned} (a ${size} archive is ${SMALL} or more, so the policy's classes apply)`
      : planned,
  };
}
