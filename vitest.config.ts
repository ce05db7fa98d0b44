import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    // servers are waited on for up to 90 s on a loaded machine (test/support/process.ts)
    hookTimeout: 120_000,
    // builds out/ once per run when the sources are newer: servers in tests run the built product
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
