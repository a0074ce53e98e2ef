import type * as tf from '@tensorflow/tfjs';
import { sumOfSquaresKernel } from '../sumOfSquaresKernel';
import { values } from '../values';
import { heapMemory, heapOffset, heapValues, wasmHeap } from './wasmHeap';
import { simdKernelsOn } from './simdKernels';

/**
 * A tensor's sum of squares, for L2 norms (a step's gradient and update norms):
 *
 *   Σ_i t_i²   (float64)
 *
 * 1. On the wasm backend, for a float32 tensor in its heap: read where it lies (a view, no copy)
 *    by the SIMD kernel `sumSquares` instantiated on the heap's memory (the JavaScript loop where
 *    SIMD is not available). At 1e6 values: 0.2 ms of CPU time, against 3–6 ms for reading the
 *    tensor back and summing in JavaScript.
 * 2. Elsewhere: `sumOfSquaresKernel(values(t))` (on cpu the tensor's own storage, no copy).
 *
 * Equal to `sumOfSquaresKernel(values(t))` within float64 rounding (the squares of float32
 * values are exact in float64; only the order of the additions differs).
 *
 * @example
 * Math.sqrt(sumOfSquaresOf(tf.tensor([3, 4]))); // 5
 */
export function sumOfSquaresOf(t: tf.Tensor): number {
  const heap = wasmHeap();
  const offset = heap === undefined ? undefined : heapOffset(heap, t);
  if (offset === undefined) return sumOfSquaresKernel(values(t));
  const memory = heapMemory(heap);
  const simd = memory === undefined ? null : simdKernelsOn(memory);
  return simd === null ? sumOfSquaresKernel(heapValues(heap!, t)!) : simd.sumSquares(t.size, offset);
}
