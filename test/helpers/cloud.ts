import { inject } from 'vitest';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '#local/cloud.ts';
import { resetMoto } from '#local/moto.ts';
import { pollUntil } from '#local/poll.ts';

/** A fresh local cloud on the run's emulator: state reset, stack provisioned, triggers running. */
export async function freshCloud(opts: LocalCloudOptions = {}): Promise<LocalCloud> {
  const endpoint = inject('motoEndpoint');
  await resetMoto(endpoint);
  return startLocalCloud({ endpoint, ...opts });
}

/** Polls until `check` returns a value; see pollUntil. */
export const eventually = pollUntil;

/**
 * Function settings under which every object is archived alone, as before packs (a pack threshold
 * of 0): for tests of what v1 archives do, which the large objects of every stack still get.
 */
export const ARCHIVE_ALONE = { env: { PACK_THRESHOLD_BYTES: '0' } } as const;
