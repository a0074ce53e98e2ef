import { RxgradError, shown } from '../RxgradError';
import { checkExample } from './checkExample';

/** A finite table of examples in order, row-major on typed arrays (what `replay` plays). */
export interface ExampleTable {
  /** Rows. */
  readonly n: number;
  /** Features per row. */
  readonly d: number;
  /** n × d features, row-major: row i is `xs.subarray(i * d, (i + 1) * d)`. */
  readonly xs: Float32Array;
  /** One label per row (NaN: none). */
  readonly ys: Float32Array;
}

/** Rows as plain arrays, for `exampleTable`. */
export interface ExampleRows {
  /** Rows of features: arrays of numbers, or Float32Array/Float64Array rows. */
  readonly xs: readonly (readonly number[] | Float32Array | Float64Array)[];
  /** One label per row; `null` (or undefined): none, stored as NaN (unlabelled). */
  readonly ys: readonly (number | null | undefined)[];
}

/**
 * An `ExampleTable` from rows of numbers, checked: every row as wide as the first, every value
 * finite (an `RxgradError` names the row), as many labels as rows, each a finite number or
 * `null`/undefined — no label, stored as NaN (unlabelled, as in an `ExampleBatch`). A table is
 * returned as is after checking its sizes.
 *
 * @example
 * exampleTable({ xs: [[0, 1], [1, 0]], ys: [1, 0] }); // { n: 2, d: 2, xs: Float32Array [0, 1, 1, 0], ys: Float32Array [1, 0] }
 * exampleTable({ xs: [[0], [1]], ys: [1, null] }).ys; // Float32Array [1, NaN]
 */
export function exampleTable(data: ExampleTable | ExampleRows): ExampleTable {
  if (data === null || typeof data !== 'object') throw new RxgradError('table', 'an object { xs, ys }', data);
  if (data.xs instanceof Float32Array) {
    const t = data as ExampleTable;
    if (!Number.isInteger(t.n) || !Number.isInteger(t.d) || t.d < 1 || t.xs.length !== t.n * t.d) {
      throw new RxgradError('table.xs', `n × d = ${t.n} × ${t.d} values`, shown(`${t.xs.length}`));
    }
    if (!(t.ys instanceof Float32Array) || t.ys.length !== t.n) throw new RxgradError('table.ys', `a Float32Array of ${t.n} labels`, t.ys);
    return t;
  }
  const { xs, ys } = data as ExampleRows;
  if (!Array.isArray(xs) || xs.length === 0) throw new RxgradError('table.xs', 'a non-empty array of rows', xs);
  if (!Array.isArray(ys) || ys.length !== xs.length) throw new RxgradError('table.ys', `${xs.length} labels (one per row)`, ys);
  const n = xs.length;
  const first = xs[0];
  const d = Array.isArray(first) || first instanceof Float32Array || first instanceof Float64Array ? first.length : 0;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    try {
      checkExample({ x: xs[i], y: ys[i] }, d || undefined);
    } catch (err) {
      const e = err as RxgradError;
      throw new RxgradError(e.field, e.expected, e.got, `row ${i}`);
    }
    out.set(xs[i], i * d);
  }
  return { n, d, xs: out, ys: Float32Array.from(ys, (y) => y ?? NaN) };
}
