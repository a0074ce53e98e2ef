import * as tf from '@tensorflow/tfjs';

/**
 * The bridge between tensors and the kernels' `Float32Array`s.
 *
 * `values(t)`: a tensor's values as a `Float32Array` — on `cpu` the tensor's own storage for a
 * float32 tensor (zero-copy: read it, never write it); other dtypes are converted, as the chain's
 * arithmetic promotes them to float32.
 *
 * @example
 * values(tf.tensor([1, 2])); // Float32Array [1, 2]
 */
export function values(t: tf.Tensor): Float32Array {
  const v = t.dataSync();
  return v instanceof Float32Array ? v : Float32Array.from(v as ArrayLike<number>);
}

/**
 * A new float32 tensor of `shape` that takes ownership of `data` (a kernel's fresh output, never
 * written again); on `cpu` without a copy. Skips `tf.tensor`'s input inference, which costs as
 * much as the kernel on small parameters.
 *
 * @example
 * fromValues(Float32Array.of(1, 2, 3, 4), [2, 2]).shape; // [2, 2]
 */
export function fromValues(data: Float32Array, shape: readonly number[]): tf.Tensor {
  return tf.engine().makeTensor(data, shape as number[], 'float32');
}
