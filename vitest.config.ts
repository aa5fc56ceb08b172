import { defineConfig } from 'vitest/config';

// The project's own tests. Katas' visible and hidden suites are run by the grader, not by this config.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/fixtures/**', 'node_modules/**'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // End-to-end tests spawn graders; on 2 cores two files at a time keeps the machine responsive.
    maxWorkers: 2,
  },
});
