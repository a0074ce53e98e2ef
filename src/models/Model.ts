import type * as tf from '@tensorflow/tfjs';
import type { Params } from '../types';
import type { ExampleBatch } from '../ExampleBatch';

/** What a model learns: a class among k (binary: k = 2) or a real value. */
export type Task = 'binary' | 'multiclass' | 'regression';

/** A batch as tensors (`minibatches`) or as typed arrays (online sources). */
export type AnyBatch = { readonly xs: tf.Tensor; readonly ys: tf.Tensor } | ExampleBatch;

/**
 * A model rxgrad can train and evaluate: named parameters, a loss for `gradients`, and
 * predictions both as tensors and straight into typed arrays (the online evaluation layer's
 * per-example path makes no tensors for rxgrad's own dense models).
 *
 * 1. `params` are `tf.Variable`s keyed by name; `loss(params, batch)` is a scalar tensor.
 * 2. `predict(params, xs)` gives class indices [n] (classifiers) or values [n, 1] (regression);
 *    `predictProba(params, xs)` gives probabilities [n, k] (classifiers only).
 * 3. `scoreRows(params, batch, out)` writes, for each of the batch's n rows, `outputs` numbers
 *    into `out` (row-major): the k class probabilities, or the predicted value.
 * 4. `dispose()` frees the parameters.
 */
export interface Model {
  readonly task: Task;
  /** Numbers per row that `scoreRows` writes: k for classifiers (2 for binary), 1 for regression. */
  readonly outputs: number;
  /** Features per example. */
  readonly features: number;
  readonly params: Params;
  loss(params: Params, batch: AnyBatch): tf.Scalar;
  predict(params: Params, xs: tf.Tensor2D): tf.Tensor;
  predictProba?(params: Params, xs: tf.Tensor2D): tf.Tensor2D;
  scoreRows(params: Params, batch: ExampleBatch, out: Float32Array): void;
  dispose(): void;
}
