import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import ClosingLine from './test/closingLine';

export default defineConfig({
  // `import 'rxgrad'` inside the repo (tests) runs the sources, not a build in dist/.
  resolve: {
    alias: [
      { find: /^rxgrad$/, replacement: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
      { find: /^rxgrad\/streams$/, replacement: fileURLToPath(new URL('./streams/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    reporters: ['default', new ClosingLine()],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
