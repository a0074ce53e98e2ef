import * as tf from '@tensorflow/tfjs';
import { fromValues, values } from '../kernels/values';
import { checkExampleBatch, isExampleBatch } from '../models/batchTensors';
import type { AnyBatch } from '../models/Model';
import type { Params, Tensors } from '../types';
import type { AnalyticLoss } from './AnalyticLoss';

/**
 * Whether `analytic` can stand for a loss over exactly these parameters: the same names (no more,
 * no fewer), each a float32 tensor of the analytic shape.
 *
 * @example
 * const m = logisticRegression(3);
 * fitsParams(analyticOf(m.loss)!, m.params);          // true
 * fitsParams(analyticOf(m.loss)!, { w: m.params.w }); // false: a subset is trained by the tfjs path
 */
export function fitsParams(analytic: AnalyticLoss, params: Params): boolean {
  const { names, shapes } = analytic;
  if (Object.keys(params).length !== names.length) return false;
  return names.every((name, i) => {
    const p = params[name];
    return p instanceof tf.Tensor && p.dtype === 'float32' && p.shape.length === shapes[i].length && p.shape.every((s, k) => s === shapes[i][k]);
  });
}

/** Labels of a softmax batch that are class indices in [0, k) (anything else goes to the tfjs path, which one-hots it its own way). */
function classIndices(y: ArrayLike<number>, k: number): boolean {
  for (let i = 0; i < y.length; i++) if (!(Number.isInteger(y[i]) && y[i] >= 0 && y[i] < k)) return false;
  return true;
}

/**
 * Whether the analytic pass takes, as they are, batches cut from a table whose rows have shapes
 * `xRow` (features) and `yRow` (targets), with targets `ys` (all of them): the table rows of
 * `minibatches`, whose batches are tensors [b, …row] of exactly those (see `analyticGrads`, 2).
 *
 * @example
 * takesRows(analyticOf(linearRegression(5).loss)!, [5], [1], [0.5, 2]); // true
 * takesRows(analyticOf(linearRegression(5).loss)!, [5], [2], [0.5, 2]); // false: the tfjs path broadcasts
 */
export function takesRows(analytic: AnalyticLoss, xRow: readonly number[], yRow: readonly number[], ys: ArrayLike<number>): boolean {
  const { sizes, output } = analytic.layout;
  const out = sizes[sizes.length - 1];
  const perRow = output === 'softmax' ? 1 : out;
  if (xRow.length !== 1 || xRow[0] !== sizes[0]) return false;
  const fits = analytic.targets === 'column' ? yRow.length === 1 && yRow[0] === perRow : yRow.reduce((a, b) => a * b, 1) === perRow;
  return fits && (output !== 'softmax' || classIndices(ys, out));
}

/**
 * The batch as arrays x [n, d], y, or `undefined` when the loss's tfjs path treats it in a way
 * the analytic one does not; an `ExampleBatch` is checked as the model's own loss checks it, and
 * is its own arrays (returned as it is).
 *
 * @example
 * batchArrays(analyticOf(logisticRegression(2).loss)!, { xs: tf.tensor2d([[1, 2]]), ys: tf.tensor2d([[1]]) }); // { n: 1, x: [1, 2], y: [1] }
 */
export function batchArrays(analytic: AnalyticLoss, batch: AnyBatch): { n: number; x: Float32Array; y: ArrayLike<number> } | undefined {
  const { sizes, output } = analytic.layout;
  const d = sizes[0];
  const out = sizes[sizes.length - 1];
  if (isExampleBatch(batch)) {
    if (output === 'linear' && out !== 1) return undefined;
    checkExampleBatch(batch, d, output === 'linear' ? undefined : output === 'sigmoid' ? 2 : out);
    return batch;
  }
  const { xs, ys } = (batch ?? {}) as { xs?: unknown; ys?: unknown };
  if (!(xs instanceof tf.Tensor) || !(ys instanceof tf.Tensor) || xs.dtype !== 'float32' || xs.rank !== 2 || xs.shape[1] !== d) return undefined;
  const n = xs.shape[0];
  const perRow = output === 'softmax' ? 1 : out;
  if (analytic.targets === 'column' ? ys.rank !== 2 || ys.shape[0] !== n || ys.shape[1] !== perRow : ys.size !== n * perRow) return undefined;
  const y = values(ys);
  if (output === 'softmax' && !classIndices(y, out)) return undefined;
  return { n, x: values(xs), y };
}

/**
 * The loss and gradients of `analytic` on one batch, computed on arrays (`denseBackward`) instead
 * of by tfjs's autodiff, as the tensors `gradients` puts on a step:
 *
 *   value = L(θ; batch),   grads[name] = ∂L/∂θ[name]
 *
 * 1. Reads the parameters' and the batch's values (zero-copy on `cpu`); an `ExampleBatch` is
 *    checked as the model's own loss checks it (same errors).
 * 2. Returns `undefined` when the batch is one the loss's tfjs path treats differently (other
 *    shapes, dtypes or labels): the caller then runs that path.
 * 3. Makes exactly 1 + (number of parameters) tensors, wrapping fresh arrays without a copy.
 *    Check the parameters once with `fitsParams` first.
 *
 * @example
 * const m = logisticRegression(2);
 * const r = analyticGrads(analyticOf(m.loss)!, m.params, { xs: tf.tensor2d([[1, 2]]), ys: tf.tensor2d([[1]]) });
 * // r.value = log 2, r.grads.w = [[−0.5], [−1]], r.grads.b = [−0.5]
 */
export function analyticGrads(analytic: AnalyticLoss, params: Params, batch: AnyBatch): { value: tf.Scalar; grads: Tensors } | undefined {
  const arrays = batchArrays(analytic, batch);
  if (arrays === undefined) return undefined;
  const { names, shapes } = analytic;
  const theta = names.map((name) => values(params[name]));
  const g = shapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)));
  const loss = analytic.backward(theta, arrays.x, arrays.y, arrays.n, g);
  const grads: Tensors = {};
  for (const name of Object.keys(params)) {
    const i = names.indexOf(name);
    grads[name] = fromValues(g[i], shapes[i]);
  }
  return { value: fromValues(Float32Array.of(loss), []) as tf.Scalar, grads };
}
