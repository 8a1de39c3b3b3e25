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
