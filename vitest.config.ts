import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/adapter/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          // A backstop only: every wait inside a test has its own, shorter, timeout that says
          // what it waited for. On a busy shared machine a scenario takes minutes.
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
