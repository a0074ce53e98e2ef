import * as tf from '@tensorflow/tfjs';
import { isArenaBuffer } from './wasm/simdKernels';
import { lentValues } from './lendValues';

/**
 * The bridge between tensors and the kernels' `Float32Array`s.
 *
 * `values(t)`: a tensor's values as a `Float32Array` — on `cpu` the tensor's own storage for a
 * float32 tensor (zero-copy: read it, never write it); other dtypes are converted, as the chain's
 * arithmetic promotes them to float32. While an in-place kernel runs on the wasm heap, a state
 * tensor it writes answers the view it writes (`lendValues`).
 *
 * @example
 * values(tf.tensor([1, 2])); // Float32Array [1, 2]
 */
export function values(t: tf.Tensor): Float32Array {
  const v = lentValues(t) ?? t.dataSync();
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

/**
 * A tensor's own storage, when writing into it in place is safe; otherwise `undefined`:
 *
 * 1. on `cpu` only (elsewhere reading copies), for a float32 tensor;
 * 2. only when no other tensor shares the storage (the backend's reference count is 1: a
 *    `clone`, a `reshape` or a variable made from the tensor share it and make it 2);
 * 3. only when the storage is a whole buffer, or a region of a SIMD arena (`isArenaBuffer`): the
 *    cpu backend's `slice` returns views into its input's storage under a storage of their own.
 *
 * For state a caller owns and never hands out (see `fusedChain`'s `updateInPlace`).
 *
 * @example
 * const t = tf.zeros([2]);
 * ownValues(t);               // Float32Array [0, 0], t's own storage
 * const c = t.clone();
 * ownValues(t);               // undefined: c shares it
 */
export function ownValues(t: tf.Tensor): Float32Array | undefined {
  if (t.dtype !== 'float32' || t.isDisposed || tf.getBackend() !== 'cpu') return undefined;
  const backend = tf.engine().backend as unknown as { refCount(dataId: object): number };
  if (backend.refCount(t.dataId) !== 1) return undefined;
  const v = t.dataSync();
  if (!(v instanceof Float32Array)) return undefined;
  return (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength) || isArenaBuffer(v.buffer) ? v : undefined;
}

/**
 * An empty array: what a kernel's argument record, reused from call to call, holds between calls
 * (so that it keeps no state array alive).
 *
 * @example
 * args.m = own(s.m)!; kernel(args); args.m = NO_VALUES;
 */
export const NO_VALUES: Float32Array = new Float32Array(0);
