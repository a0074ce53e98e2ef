import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { RxgradError, shown } from '../../src/RxgradError';
import { CsvSchema } from '../../src/online/CsvSchema';
import type { ExampleTable } from '../../src/online/ExampleTable';

/**
 * The default location of the Elec2 data shipped with rxgrad (gzip-compressed CSV), resolved
 * through the package's own `exports` (so it holds from the sources, a bundle or node_modules).
 */
export const ELEC2_PATH = createRequire(import.meta.url).resolve('rxgrad/data/elec2.csv.gz');

/**
 * Load the Elec2 (Electricity) stream, in time order (provenance and known figures in
 * data/README.md):
 *
 * 1. gunzip the file with Node's zlib and read the header `feat_1,…,feat_6,target`;
 * 2. parse each row with `CsvSchema` (a malformed row is an `RxgradError` naming its line);
 * 3. return the 45,312 rows as a table: 6 features in [0, 1] per row (period of the day, NSW
 *    price and demand, Victoria price and demand, transfer) and the label 1 = UP, 0 = DOWN.
 *
 * @example
 * const t = elec2(); // t.n === 45312, t.d === 6; 42.45 % of t.ys are 1
 */
export function elec2(path: string = ELEC2_PATH): ExampleTable {
  const lines = gunzipSync(readFileSync(path)).toString('utf8').split('\n');
  const schema = new CsvSchema(lines[0], { label: 'target' });
  const d = schema.featureIndex.length;
  const rows = lines.length - 1 - (lines[lines.length - 1] === '' ? 1 : 0);
  const xs = new Float32Array(rows * d);
  const ys = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let e;
    try {
      e = schema.parse(lines[i + 1]);
    } catch (err) {
      throw new RxgradError(`${path}:${i + 2}`, 'a row of the header\'s numeric columns', shown((err as Error).message));
    }
    xs.set(e.x, i * d);
    ys[i] = e.y ?? NaN;
  }
  return { n: rows, d, xs, ys };
}
