import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Handlers log JSON and EMF as they would in Lambda; show it only for tests that fail.
    silent: 'passed-only',
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/helpers/global-setup.ts'],
          // One emulator serves the whole run; files take turns so each can reset it.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
