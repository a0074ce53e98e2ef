import { defineConfig } from 'tsup';

/**
 * The package build (`npm run build`): ESM JavaScript with source maps and bundled .d.ts into
 * dist/ for `rxgrad` (src/index.ts), `rxgrad/streams` (streams/index.ts) and the `rxgrad` CLI
 * (bin/rxgrad.ts). Code splitting puts every module both entries use into one shared chunk, so
 * `rxgrad` and `rxgrad/streams` share one copy of each class (RxgradError, RunScope, …). Every
 * dependency and peer dependency stays external. The dashboard page is built next, into dist/web
 * (demo/buildWeb.ts).
 */
export default defineConfig({
  entry: { index: 'src/index.ts', streams: 'streams/index.ts', rxgrad: 'bin/rxgrad.ts' },
  outDir: 'dist',
  format: ['esm'],
  platform: 'node',
  target: 'node20',
  splitting: true,
  sourcemap: true,
  dts: { entry: { index: 'src/index.ts', streams: 'streams/index.ts' } },
  clean: true,
  shims: false,
});
