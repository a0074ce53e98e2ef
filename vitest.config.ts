import { defineConfig } from 'vitest/config';
import ClosingLine from './test/closingLine';

export default defineConfig({
  // `import 'rxgrad'` inside the repo (README examples, tests) runs the sources, not a build in dist/.
  ssr: { resolve: { conditions: ['rxgrad-source', 'module', 'node', 'development|production'] } },
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/setup.ts'],
    reporters: ['default', new ClosingLine()],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
