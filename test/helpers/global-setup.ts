import type { TestProject } from 'vitest/node';
import { startMoto } from '#local/moto.ts';
import { ensurePackaged } from '#local/package.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** One moto server for the whole integration run, and the local template packaged once. */
export default async function setup(project: TestProject) {
  const [moto] = await Promise.all([startMoto(), ensurePackaged('local')]);
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
