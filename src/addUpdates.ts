import * as tf from '@tensorflow/tfjs';
import type { Params, Tensors } from './types';
import { useFused, type FusedMode } from './kernels/useFused';
import { addKernel } from './kernels/addKernel';
import { fromValues, values } from './kernels/values';

/**
 * Add updates to the parameters, in place:
 *
 *   x[name] ← x[name] + u[name]   for every name in `updates`
 *
 * 1. Where fused kernels run (`useFused(mode, values in the updates)`: by default on `cpu`, and
 *    for small updates on `wasm`) and the parameter is float32: one pass of `addKernel` and one `assign`; elsewhere `x.assign(x.add(u))` in a
 *    `tf.tidy`. Both round x + u to float32 once: the results are identical.
 * 2. Names and shapes are not checked here: check them first (`checkMatches(updates, params)`).
 * 3. No tensor is left behind; the updates stay owned by the caller.
 *
 * @example
 * const params = { w: tf.variable(tf.tensor([1, 2])) };
 * addUpdates(params, { w: tf.tensor([0.5, -1]) }); // w = [1.5, 1]
 */
export function addUpdates(params: Params, updates: Tensors, mode: FusedMode = 'auto'): void {
  const names = Object.keys(updates);
  let size = 0;
  for (const name of names) size += updates[name].size;
  const fused = useFused(mode, size);
  for (const name of names) {
    const x = params[name];
    const u = updates[name];
    if (fused && x.dtype === 'float32') {
      const next = fromValues(addKernel(values(x), values(u)), x.shape);
      x.assign(next);
      next.dispose();
    } else tf.tidy(() => x.assign(x.add(u)));
  }
}
