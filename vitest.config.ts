import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file gets its own process: the local runtime points process.env and the module-scope SDK
    // clients at its own servers, exactly as one Lambda process would.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // Two cores: the end-to-end files each run OCR and a trainer; more parallel files only thrash.
    maxWorkers: 2,
  },
});
