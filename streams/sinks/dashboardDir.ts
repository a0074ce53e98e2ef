import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * The directory of the prebuilt dashboard page shipped with rxgrad (`dist/web` in the package,
 * built by `npm run build` or `npm run build:web`), the default `staticDir` of `MetricsServer`.
 *
 * 1. The package root is found through the package's own `exports` (`rxgrad/package.json`), so
 *    the same directory is meant from the TypeScript sources, from dist/, from a user's bundle
 *    and from node_modules.
 * 2. The page is `<root>/dist/web/index.html` with its script and style beside it.
 *
 * @example
 * const server = await metricsServer({ staticDir: DASHBOARD_DIR }); // the same as the default
 */
export const DASHBOARD_DIR = join(dirname(createRequire(import.meta.url).resolve('rxgrad/package.json')), 'dist', 'web');
