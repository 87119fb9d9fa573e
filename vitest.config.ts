import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Pool tests load the compiled workers from dist/ (Node 20 cannot load .ts workers);
    // `npm test` builds first, globalSetup builds again when vitest is run on its own.
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
