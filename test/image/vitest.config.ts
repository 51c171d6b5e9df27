import { defineConfig } from 'vitest/config';

/**
 * `npm run image:test`: the image that scripts/build-image.sh built, checked against
 * deploy/Dockerfile and run by podman against a playground of its own. Not part of
 * `npm test`: it needs the image built first (about 2 min, and network for Debian's and
 * npm's packages) and podman.
 */
export default defineConfig({
  test: {
    include: ['test/image/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
