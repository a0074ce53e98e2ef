/**
 * Bundle the dashboard page (demo/web/main.ts and its CSS, uPlot included) with esbuild into
 * dist/web/ (`DASHBOARD_DIR`: where the package ships it and `MetricsServer` serves it from by
 * default), next to a copy of index.html. `npm run build` and `npm start` call it;
 * `npm run build:web` runs it alone.
 */
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DASHBOARD_DIR } from '../streams/sinks/dashboardDir';

const web = fileURLToPath(new URL('./web/', import.meta.url));

/**
 * Build the page into `outdir` (default `DASHBOARD_DIR`, dist/web) and return that directory.
 * The files are written aside and renamed into place, so a server reading them meanwhile (or
 * another build at the same time) never sees a file half written.
 *
 * @example
 * const dir = await buildWeb(); // serve it: metricsServer({ staticDir: dir })
 */
export async function buildWeb(outdir = DASHBOARD_DIR): Promise<string> {
  mkdirSync(outdir, { recursive: true });
  const aside = mkdtempSync(join(outdir, '.build-'));
  try {
    await build({
      entryPoints: { app: `${web}main.ts` },
      bundle: true,
      outdir: aside,
      format: 'iife',
      target: 'chrome110',
      minify: true,
      sourcemap: true,
      logLevel: 'warning',
    });
    copyFileSync(`${web}index.html`, join(aside, 'index.html'));
    for (const name of readdirSync(aside)) renameSync(join(aside, name), join(outdir, name));
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
  return outdir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(`built ${await buildWeb()}`);
}
