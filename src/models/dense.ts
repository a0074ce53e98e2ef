import * as tf from '@tensorflow/tfjs';
import { RxgradError } from '../RxgradError';

/**
 * Backends whose `matMul` is slow on a transposed operand, so that `dense` builds its backward
 * pass on explicit transposes there. Measured on wasm (tfjs 4.22, 2 vCPU), for the first layer of
 * an MLP 784-256-10 at batch 128: `matMul(x, dy, true, false)` 31.6 ms against 2.2 ms for
 * `matMul(transpose(x), dy)`, and `matMul(dy, w, false, true)` 24.8 ms against 2.7 ms; the
 * untransposed forward `matMul(x, w)` takes 3.7 ms. On cpu both forms cost the same (75 ms), so
 * cpu keeps tfjs's own gradient.
 *
 * @example
 * EXPLICIT_TRANSPOSE_BACKENDS.has('wasm'); // true
 */
export const EXPLICIT_TRANSPOSE_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

/** Options of `dense`. */
export interface DenseOptions {
  /**
   * Whether a gradient flows to `x` (default true). False for a first layer, whose input is the
   * batch's data: with `transposes`, the backward pass then skips dx = dy Wᵀ, the costliest
   * product of that layer, and a gradient asked of `x` fails (tfjs: "Cannot compute gradient …").
   */
  readonly inputGrad?: boolean;
  /**
   * Whether the backward pass multiplies by explicit transposes (default: when the backend in
   * force is in `EXPLICIT_TRANSPOSE_BACKENDS`). False runs tfjs's own `matMul` and `add`, and
   * their gradients.
   */
  readonly transposes?: boolean;
}

/**
 * One dense layer, z = x W + b, for x [n, fan_in], W [fan_in, fan_out], b [fan_out]:
 *
 * 1. The forward pass is tfjs's `add(matMul(x, W), b)` on every backend.
 * 2. With `transposes` (the default on `EXPLICIT_TRANSPOSE_BACKENDS`), the gradient is tfjs's own
 *    arithmetic with the transposes made explicit (`tf.customGrad`), for the upstream gradient dz:
 *
 *      dx = dz · transpose(W),   dW = transpose(x) · dz,   db = Σ_rows dz
 *
 *    equal to the default path's to float32 rounding (the same sums, another memory order).
 * 3. Without them, the op is exactly `add(matMul(x, W), b)`.
 *
 * @example
 * const x = tf.tensor2d([[1, 2]]);
 * const w = tf.variable(tf.tensor2d([[1], [1]]));
 * const b = tf.variable(tf.tensor1d([0.5]));
 * dense(x, w, b).dataSync(); // Float32Array [3.5]
 * tf.variableGrads(() => tf.sum(dense(x, w, b, { inputGrad: false, transposes: true }))).grads; // dW [[1], [2]], db [1]
 */
export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, { inputGrad = true, transposes = EXPLICIT_TRANSPOSE_BACKENDS.has(tf.getBackend()) }: DenseOptions = {}): tf.Tensor2D {
  if (x.rank !== 2 || w.rank !== 2 || x.shape[1] !== w.shape[0]) {
    throw new RxgradError('dense', `x [n, k] and w [k, m] (w is [${w.shape.join(', ')}])`, `x [${x.shape.join(', ')}]`);
  }
  if (b.rank !== 1 || b.shape[0] !== w.shape[1]) throw new RxgradError('dense', `b [${w.shape[1]}]`, `b [${b.shape.join(', ')}]`);
  if (!transposes) return tf.add(tf.matMul(x, w), b);
  // Gradients of the upstream dz (tfjs's own arithmetic, transposes made explicit).
  const dW = (dz: tf.Tensor, xs: tf.Tensor) => tf.matMul(tf.transpose(xs), dz as tf.Tensor2D);
  const db = (dz: tf.Tensor) => tf.sum(dz, 0);
  if (inputGrad) {
    return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [input, weight, bias, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
      save([input, weight]);
      return {
        value: tf.add(tf.matMul(input, weight), bias),
        gradFunc: (dz: tf.Tensor, [xs, ws]: tf.Tensor[]) => [tf.matMul(dz as tf.Tensor2D, tf.transpose(ws)), dW(dz, xs), db(dz)],
      };
    })(x, w, b) as tf.Tensor2D;
  }
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [weight, bias, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
    save([x, weight]);
    return {
      value: tf.add(tf.matMul(x, weight), bias),
      gradFunc: (dz: tf.Tensor, [xs]: tf.Tensor[]) => [dW(dz, xs), db(dz)],
    };
  })(w, b) as tf.Tensor2D;
}
