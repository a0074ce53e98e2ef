import { defineConfig } from 'vitest/config';
import ClosingLine from './test/closingLine';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    reporters: ['default', new ClosingLine()],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
