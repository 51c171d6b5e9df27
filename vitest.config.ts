import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'test/adapter/**/*.test.ts'],
          testTimeout: 30_000,
          // Vitest's default in `run` is one worker fewer than the cores: a single one on the
          // 2-core machine. The adapter files mostly wait (on a kube-apiserver starting, a Lease
          // expiring, a load run, a child CLI process), so a second worker overlaps those waits.
          maxWorkers: 2,
          // A project with its own maxWorkers needs its own group; the unit files run first.
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          // Two files at once: most of a scenario is waiting (analysis intervals, Prometheus
          // windows), so a second file nearly halves the run. Files share only the playground;
          // each has its own namespaces, controllers and Lease names, and the ones that restart
          // parts of a cluster (chaos, sharding, multicluster) start a playground of their own.
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          // A backstop only: every wait inside a test has its own, shorter, timeout that says
          // what it waited for. On a busy shared machine a scenario takes minutes.
          testTimeout: 600_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
