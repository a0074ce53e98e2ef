/**
 * `npm start`: bundle demo/main.ts (the project's TypeScript; every dependency stays external)
 * with esbuild, next to it, and run the bundle on Node's own loader. Running the TypeScript
 * through tsx's loader hooks instead costs about a second of start-up, most of it in loading
 * tfjs, and the first point must reach the page within 2 s.
 */
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const outfile = fileURLToPath(new URL('./main.bundle.mjs', import.meta.url));
await build({
  entryPoints: [fileURLToPath(new URL('./main.ts', import.meta.url))],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  outfile,
  logLevel: 'warning',
});
process.setSourceMapsEnabled(true);
await import(outfile);
