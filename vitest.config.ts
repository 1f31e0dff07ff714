import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more parallel files only make the agent and git tests fight.
    maxWorkers: 2,
    globalSetup: ['test/support/globalSetup.ts'],
  },
});
