/**
 * A micro-batch of arriving examples, columnar on typed arrays: what online sources emit as a
 * step's `batch`. No tensors: the general (tfjs) path makes them inside the loss's own scope,
 * and the evaluation layer reads the arrays directly.
 *
 * 1. `x` holds `n` rows of `d` features, row-major (`x[i * d + j]`).
 * 2. `y` holds one label per row: a class index (0 … k−1) for classifiers, a value for
 *    regression; `NaN` where the label has not arrived yet (delayed labels).
 * 3. `ids[i]` joins a delayed label to its example (`undefined` when the producer gave none);
 *    `times[i]` is the example's time in ms (the producer's `time`, else arrival time).
 *
 * @example
 * const b: ExampleBatch = { n: 1, d: 2, x: Float32Array.of(0.5, 1), y: Float32Array.of(1), ids: ['a'], times: Float64Array.of(Date.now()) };
 */
export interface ExampleBatch {
  readonly n: number;
  readonly d: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly ids: readonly (string | number | undefined)[];
  readonly times: Float64Array;
}
