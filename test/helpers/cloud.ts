import { inject } from 'vitest';
import { type LocalCloud, type LocalCloudOptions, startLocalCloud } from '#local/cloud.ts';
import { resetMoto } from '#local/moto.ts';

/** A fresh local cloud on the run's emulator: state reset, stack provisioned, triggers running. */
export async function freshCloud(opts: LocalCloudOptions = {}): Promise<LocalCloud> {
  const endpoint = inject('motoEndpoint');
  await resetMoto(endpoint);
  return startLocalCloud({ endpoint, ...opts });
}

/** Polls until `check` returns a value other than undefined, or fails after the deadline. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}
