import type { TestProject } from 'vitest/node';
import { startMoto } from '#local/moto.ts';
import { ensurePackaged } from '#local/package.ts';
import { settleRecording, startRecording } from '../iam/recording.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/**
 * One moto server for the whole integration run, and the local template packaged once. Every AWS
 * call a role makes during the run is recorded and checked against test/iam/recorded-calls.json.
 */
export default async function setup(project: TestProject) {
  startRecording();
  const [moto] = await Promise.all([startMoto(), ensurePackaged('local')]);
  project.provide('motoEndpoint', moto.endpoint);
  return async () => {
    await moto.stop();
    const ran = new Set(project.vitest.state.getFiles().map((f) => f.filepath));
    const all = (await project.globTestFiles()).testFiles;
    try {
      process.stderr.write(`${settleRecording({ completeRun: all.every((f) => ran.has(f)) })}\n`);
    } catch (error) {
      // Vitest reports a teardown error but still exits 0: the run must fail.
      process.stderr.write(`\n${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  };
}
