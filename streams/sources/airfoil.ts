import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RxgradError } from '../../src/RxgradError';

/**
 * The default location of the NASA airfoil self-noise data shipped with rxgrad, resolved through
 * the package's own `exports` (so it holds from the sources, a bundle or node_modules).
 */
export const AIRFOIL_PATH = createRequire(import.meta.url).resolve('rxgrad/data/airfoil_self_noise.dat');

/** The airfoil data as the book prepares it. */
export interface Airfoil {
  /** 1500 rows × 5 standardized features. */
  readonly xs: number[][];
  /** 1500 standardized targets (scaled sound pressure level). */
  readonly ys: number[];
}

/**
 * Load the NASA airfoil self-noise data the way *Dive into Deep Learning* does (§12.4):
 *
 * 1. parse the 1503 tab-separated rows of 6 columns (a malformed row is rejected with its line);
 * 2. standardize every column, z = (v − mean) / std, with the population std (divide by n)
 *    over all 1503 rows;
 * 3. keep the first `n` rows (default 1500); features are columns 1–5, the label column 6.
 *
 * @example
 * const { xs, ys } = airfoil(); // xs.length === 1500, xs[0].length === 5
 */
export function airfoil(path: string = AIRFOIL_PATH, n = 1500): Airfoil {
  const rows = readFileSync(path, 'utf8')
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line.length > 0)
    .map(([line, lineNo]) => {
      const cells = line.split(/\s+/).map(Number);
      if (cells.length !== 6 || cells.some((v) => !Number.isFinite(v))) {
        throw new RxgradError(`${path}:${lineNo}`, '6 numeric tab-separated columns', line);
      }
      return cells;
    });
  if (rows.length < n) throw new RxgradError('n', `≤ the ${rows.length} rows of ${path}`, n);
  const cols = 6;
  const mean = Array.from({ length: cols }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = Array.from({ length: cols }, (_, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / rows.length));
  const z = rows.slice(0, n).map((r) => r.map((v, j) => (v - mean[j]) / std[j]));
  return { xs: z.map((r) => r.slice(0, 5)), ys: z.map((r) => r[5]) };
}
