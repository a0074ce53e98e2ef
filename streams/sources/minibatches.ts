import * as tf from '@tensorflow/tfjs';
import type { Observable } from 'rxjs';
import { RxgradError, shown } from '../../src/RxgradError';
import { bool, positiveInt, seed32 } from '../../src/validate';
import { fromValues } from '../../src/kernels/values';
import type { Batch, Step } from '../Step';
import { drive, type DriveOptions } from './drive';
import { mulberry32 } from './mulberry32';
import { shuffleInPlace } from './shuffleInPlace';
import { takesRows } from '../../src/fast/analyticGrads';
import { describe, type RowArrays } from '../fused/fusion';

/** Rows of features and targets, as arrays or tensors whose first axis is the example. */
export interface Dataset {
  /** `number[][]` (one row per example) or a tensor of shape [n, …]. */
  readonly xs: readonly (readonly number[])[] | tf.Tensor;
  /** `number[]` (one target each, batched as a column [b, 1]), `number[][]`, or a tensor [n, …]. */
  readonly ys: readonly number[] | readonly (readonly number[])[] | tf.Tensor;
}

/** Options of `minibatches`. */
export interface MinibatchOptions extends DriveOptions {
  /** Examples per batch, 1 ≤ batchSize ≤ n. */
  readonly batchSize: number;
  /** Passes over the data (default 1). */
  readonly epochs?: number;
  /** Reshuffle the examples at the start of every epoch (default false). */
  readonly shuffle?: boolean;
  /** Seed of the shuffle; the same seed gives the same batches (default 0). */
  readonly seed?: number;
  /** Drop the last, smaller batch of each epoch (default false, as PyTorch's DataLoader). */
  readonly dropLast?: boolean;
  /**
   * Resume a run: the first step produced is `start.step` (default 1), with the epoch, batch,
   * shuffle order and example count it has in an uninterrupted run.
   */
  readonly start?: { readonly step: number };
}

interface Table {
  readonly n: number;
  readonly values: Float32Array;
  readonly rowShape: number[];
  readonly rowSize: number;
}

function toTable(field: 'xs' | 'ys', data: Dataset['xs'] | Dataset['ys']): Table {
  if (data instanceof tf.Tensor) {
    if (data.rank === 0) throw new RxgradError(field, 'a tensor with an example axis (rank ≥ 1)', data);
    const values = Float32Array.from(data.dataSync());
    const rowShape = data.rank === 1 ? [1] : data.shape.slice(1);
    const rowSize = rowShape.reduce((a, b) => a * b, 1);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RxgradError(`${field}[${Math.floor(bad / rowSize)}]`, 'finite numbers', values[bad]);
    return { n: data.shape[0], values, rowShape, rowSize };
  }
  if (!Array.isArray(data)) throw new RxgradError(field, 'an array of rows or a tensor', data);
  const n = data.length;
  const first = data[0];
  const rowSize = Array.isArray(first) ? first.length : 1;
  const values = new Float32Array(n * rowSize);
  for (let i = 0; i < n; i++) {
    const row = data[i] as number | readonly number[];
    if (typeof row === 'number' && rowSize === 1) {
      // A target given as a number: checked and stored as the row [row] would be, without making it.
      if (!Number.isFinite(row)) throw new RxgradError(`${field}[${i}][0]`, 'a finite number', row, `row ${i}`);
      values[i] = row;
      continue;
    }
    const cells = typeof row === 'number' ? [row] : row;
    if (!Array.isArray(cells) || cells.length !== rowSize) {
      throw new RxgradError(`${field}[${i}]`, `a row of ${rowSize} number${rowSize === 1 ? '' : 's'} (as row 0)`, row);
    }
    for (let j = 0; j < rowSize; j++) {
      const v = cells[j];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new RxgradError(`${field}[${i}][${j}]`, 'a finite number', v, `row ${i}`);
      }
      values[i * rowSize + j] = v;
    }
  }
  return { n, values, rowShape: [rowSize], rowSize };
}

/** Rows order[from … to) of the table, in `out` (a new array by default). */
function gatherRows(table: Table, order: Uint32Array, from: number, to: number, out: Float32Array = new Float32Array((to - from) * table.rowSize)): Float32Array {
  const { values, rowSize } = table;
  // An element loop, not a `subarray` view per row: rows are short, views cost more than copying.
  for (let i = from, k = 0; i < to; i++) for (let j = order[i] * rowSize, end = j + rowSize; j < end; j++) out[k++] = values[j];
  return out;
}

function gather(table: Table, order: Uint32Array, from: number, to: number): tf.Tensor {
  return fromValues(gatherRows(table, order, from, to), [to - from, ...table.rowShape]);
}


/**
 * A stream of minibatch steps over a data set.
 *
 * 1. The data is validated and copied once per subscription: every row the same width, every
 *    value finite (a NaN is rejected with its row index), `xs` and `ys` the same length.
 * 2. Each epoch visits every example once; with `shuffle`, in an order drawn from a PRNG
 *    seeded with `seed` (reproducible run to run). Steps count from 1 across epochs.
 * 3. Each step owns fresh `xs`/`ys` tensors; nothing is produced after unsubscribe.
 * 4. Every subscription is a run (`step.scope`, see `RunScope`): a step dropped on the way is
 *    freed by the run, and every step still open when the pipeline ends is freed then — read
 *    what you keep of a step before its run ends.
 * 5. A source of `applyUpdates`' fused path when the loss's analytic pass takes its rows as they
 *    are (`takesRows`: rows of the model's width, targets of its output): the same steps, with
 *    batches of typed-array rows `{ n, x, y }` instead of tensors, written into two arrays per
 *    subscription (each batch is learned before the next is made).
 *
 * @example
 * minibatches({ xs: [[1], [2], [3]], ys: [2, 4, 6] }, { batchSize: 2, epochs: 2 })
 *   .subscribe((s) => console.log(s.step, s.epoch, s.size)); // 1 1 2, 2 1 1, 3 2 2, 4 2 1 (each step freed at the end)
 */
export function minibatches(data: Dataset, options: MinibatchOptions): Observable<Step<Batch>> {
  const batchSize = positiveInt('batchSize', options?.batchSize);
  const epochs = options.epochs === Infinity ? Infinity : positiveInt('epochs', options.epochs ?? 1);
  const shuffle = bool('shuffle', options.shuffle ?? false);
  const dropLast = bool('dropLast', options.dropLast ?? false);
  const seed = seed32('seed', options.seed ?? 0);
  if (data === null || typeof data !== 'object') throw new RxgradError('data', 'an object { xs, ys }', data);
  const xs = toTable('xs', data.xs);
  const ys = toTable('ys', data.ys);
  if (xs.n !== ys.n) throw new RxgradError('ys', `${xs.n} rows (as many as xs)`, shown(`${ys.n} rows`));
  if (batchSize > xs.n) throw new RxgradError('batchSize', `≤ the number of examples (${xs.n})`, batchSize);
  const n = xs.n;
  const perEpoch = dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
  const skipped = positiveInt('start.step', options.start?.step ?? 1) - 1;

  // `batches()` runs once per subscription and gives its batch maker.
  const steps = <T>(batches: () => (order: Uint32Array, from: number, to: number) => T) => drive<Step<T>>(
    (scope) => {
      const batchOf = batches();
      const rand = mulberry32(seed);
      // A plain loop: `Uint32Array.from` with a map function takes the generic path (~100 µs for 1,500 rows, per subscription).
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      let step = skipped;
      let examples = Math.floor(step / perEpoch) * (dropLast ? perEpoch * batchSize : n) + (step % perEpoch) * batchSize;
      if (shuffle) for (let e = Math.ceil(step / perEpoch); e > 0; e--) shuffleInPlace(order, rand);
      return () => {
        const epoch = Math.floor(step / perEpoch) + 1;
        const k = step % perEpoch;
        if (epoch > epochs) return undefined;
        if (k === 0 && shuffle) shuffleInPlace(order, rand);
        const from = k * batchSize;
        const to = Math.min(from + batchSize, n);
        step += 1;
        examples += to - from;
        return scope.own({
          step,
          epoch,
          batch: batchOf(order, from, to),
          size: to - from,
          examples,
          startedAt: performance.now(),
          hyper: {},
          scope,
        });
      };
    },
    options,
  );
  const general = steps<Batch>(() => (order, from, to) => ({ xs: gather(xs, order, from, to), ys: gather(ys, order, from, to) }));
  // The fused run reads each batch before the next is made (no operator between holds one): the
  // rows go into two arrays per subscription (a view of them for a smaller last batch).
  const rows = steps<RowArrays>(() => {
    const bx = new Float32Array(batchSize * xs.rowSize);
    const by = new Float32Array(batchSize * ys.rowSize);
    const room = (a: Float32Array, size: number) => (size === a.length ? a : a.subarray(0, size));
    return (order, from, to) => ({ n: to - from, x: gatherRows(xs, order, from, to, room(bx, (to - from) * xs.rowSize)), y: gatherRows(ys, order, from, to, room(by, (to - from) * ys.rowSize)) });
  });
  return describe(general, {
    stage: 'source',
    rows: (analytic) => (takesRows(analytic, xs.rowShape, ys.rowShape, ys.values) ? { steps: rows, examples: false, arrays: (batch) => batch as RowArrays } : undefined),
  });
}
