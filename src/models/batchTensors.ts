import * as tf from '@tensorflow/tfjs';
import { RxgradError } from '../RxgradError';
import type { ExampleBatch } from '../ExampleBatch';
import type { AnyBatch } from './Model';

/**
 * Whether a batch is an `ExampleBatch` (typed arrays from an online source) rather than tensors.
 *
 * @example
 * isExampleBatch({ xs: tf.zeros([1, 2]), ys: tf.zeros([1, 1]) }); // false
 */
export function isExampleBatch(batch: AnyBatch): batch is ExampleBatch {
  return (batch as ExampleBatch).x instanceof Float32Array;
}

/**
 * Check an `ExampleBatch` before a model learns from it:
 *
 * 1. it has `features` columns and n × d values, and n labels;
 * 2. every row is labelled (a `NaN` label throws: a model learns only from labelled rows), and,
 *    with `classes: k`, each label is an integer in [0, k).
 *
 * @example
 * checkExampleBatch({ n: 1, d: 2, x: Float32Array.of(1, 2), y: Float32Array.of(3), ids: [undefined], times: Float64Array.of(0) }, 2, 2);
 * // throws "Expected `batch.y[0]` a class index in [0, 2), got 3"
 */
export function checkExampleBatch(batch: ExampleBatch, features: number, classes?: number): void {
  const { n, d, x, y } = batch;
  if (d !== features) throw new RxgradError('batch.d', `${features} features`, d);
  if (x.length !== n * d) throw new RxgradError('batch.x', `n × d = ${n * d} numbers`, x.length);
  if (y.length !== n) throw new RxgradError('batch.y', `n = ${n} labels`, y.length);
  for (let i = 0; i < n; i++) {
    const v = y[i];
    if (classes === undefined ? !Number.isFinite(v) : !(Number.isInteger(v) && v >= 0 && v < classes)) {
      throw new RxgradError(`batch.y[${i}]`, classes === undefined ? 'a finite label' : `a class index in [0, ${classes})`, v);
    }
  }
}

/**
 * A batch's features and labels as tensors, for a loss (call it inside the loss's `tf.tidy`).
 *
 * 1. Tensor batches `{ xs, ys }` pass through unchanged.
 * 2. An `ExampleBatch` gives `xs` [n, d] and `ys` [n, 1] (float32), after `checkExampleBatch`.
 *
 * @example
 * const { xs, ys } = tf.tidy(() => batchTensors({ n: 1, d: 2, x: Float32Array.of(1, 2), y: Float32Array.of(1), ids: [undefined], times: Float64Array.of(0) }, 2, 2));
 */
export function batchTensors(batch: AnyBatch, features: number, classes?: number): { xs: tf.Tensor; ys: tf.Tensor } {
  if (!isExampleBatch(batch)) return batch;
  checkExampleBatch(batch, features, classes);
  const { n, d, x, y } = batch;
  return { xs: tf.tensor2d(x, [n, d]), ys: tf.tensor2d(y, [n, 1]) };
}
