import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real containers; two cores are shared by at most two files at once.
    maxWorkers: 2,
    minWorkers: 1,
    reporters: ['default'],
  },
});
