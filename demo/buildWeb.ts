/**
 * Bundle the dashboard page (demo/web/main.ts and its CSS, uPlot included) with esbuild into
 * demo/web/dist/, next to a copy of index.html. `npm start` calls it; `npm run build:web`
 * runs it alone.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const web = fileURLToPath(new URL('./web/', import.meta.url));

/**
 * Build the page into `outdir` (default demo/web/dist) and return that directory.
 *
 * @example
 * const dir = await buildWeb(); // serve it: metricsServer({ staticDir: dir })
 */
export async function buildWeb(outdir = `${web}dist`): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: { app: `${web}main.ts` },
    bundle: true,
    outdir,
    format: 'iife',
    target: 'chrome110',
    minify: true,
    sourcemap: true,
    logLevel: 'warning',
  });
  copyFileSync(`${web}index.html`, `${outdir}/index.html`);
  return outdir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(`built ${await buildWeb()}`);
}
