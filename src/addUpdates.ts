import * as tf from '@tensorflow/tfjs';
import type { Params, Tensors } from './types';
import { RxgradError, shown } from './RxgradError';
import { useFused, type FusedMode } from './kernels/useFused';
import { addKernel } from './kernels/addKernel';
import { fromValues, ownValues, values } from './kernels/values';
import { giveScratch, takeScratch } from './kernels/scratch';
import { takeStagedSum } from './kernels/stagedSum';
import { StorageSlot } from './kernels/StorageSlot';

/** The first of `names` whose tensor (among those at `indices`) holds a non-finite value; one read-back. */
function firstNonFinite(names: readonly string[], next: readonly tf.Tensor[], indices: readonly number[]): string | undefined {
  if (indices.length === 0) return undefined;
  const flags = tf.tidy(() => tf.stack(indices.map((i) => tf.all(tf.isFinite(next[i])))));
  const ok = flags.dataSync();
  flags.dispose();
  const bad = ok.findIndex((f) => f !== 1);
  return bad < 0 ? undefined : names[indices[bad]];
}

/**
 * The error of a parameter `name` whose x + u is not finite (nothing is assigned then).
 *
 * @example
 * throw nonFiniteSum('w'); // "Expected `params.w` finite values after the update x + u …"
 */
export function nonFiniteSum(name: string): RxgradError {
  return new RxgradError(`params.${name}`, 'finite values after the update x + u (use skipNonFinite() to skip such steps)', shown('a value that is not finite in float32 (the update overflows it)'));
}

/**
 * Add updates to the parameters, in place:
 *
 *   x[name] ← x[name] + u[name]   for every name in `updates`
 *
 * 1. Where fused kernels run (`useFused(mode, values in the updates)`: by default on `cpu`, and
 *    for small updates on `wasm`) and the parameter is float32: one pass of `addKernel`, which
 *    also checks the result; elsewhere `x.add(u)` in a `tf.tidy`, checked with one read-back for
 *    all parameters. Both round x + u to float32 once: the results are identical.
 * 2. Every new value is computed and checked before any is assigned: if x + u is not finite for
 *    some parameter (a NaN, or an overflow: lr 1e38), an `RxgradError` names it and no parameter
 *    is changed (use `skipNonFinite` to skip such steps instead).
 * 3. Shapes are not checked here: check them first (`checkMatches(updates, params)`). Every
 *    name in `updates` must be a `tf.Variable` of `params`, else an `RxgradError` names it before
 *    anything is computed or assigned.
 * 4. No tensor is left behind; the updates stay owned by the caller.
 * 5. No fresh array per update on the fused path: x + u is written into a spare array
 *    (`takeScratch`) and becomes the parameter's storage; the storage it replaces becomes the
 *    next spare when no other tensor shares it (`ownValues`). Where the optimizer already
 *    computed x + u in its own pass (`fusedChain`'s `updateInPlace`, recorded by `stageSum`), that
 *    sum and its finiteness check are taken as they are: no second pass (on wasm, where it was
 *    computed in the backend's heap, its block becomes the parameter's storage: no copy).
 * 6. No tensor per update where the parameter, a variable, owns its storage (on cpu, no other
 *    tensor sharing it: `StorageSlot.of`, checked in O(1) from the second update on) and x + u is
 *    a whole array of the JavaScript heap: the array is swapped in as the parameter's storage (its
 *    dataId stays; as after `assign`, the replaced array is the next spare). Elsewhere a tensor is
 *    made of it and assigned.
 *
 * @example
 * const params = { w: tf.variable(tf.tensor([1, 2])) };
 * addUpdates(params, { w: tf.tensor([0.5, -1]) }); // w = [1.5, 1]
 */
export function addUpdates(params: Params, updates: Tensors, mode: FusedMode = 'auto'): void {
  const names = Object.keys(updates);
  for (const name of names) if (!(params[name] instanceof tf.Variable)) throw new RxgradError(`params.${name}`, 'a tf.Variable (a parameter is updated in place, by assign)', params[name]);
  let size = 0;
  for (const name of names) size += updates[name].size;
  const fused = useFused(mode, size);
  // Per name: x + u as an array (to become the parameter's storage) or a tensor (to assign).
  const next: (Float32Array | tf.Tensor)[] = [];
  // Per name: the parameter's slot where it owns its storage (`StorageSlot.of`), else undefined.
  const owners: (StorageSlot | undefined)[] = [];
  const unchecked: number[] = [];
  let bad: string | undefined;
  for (const name of names) {
    const x = params[name];
    const u = updates[name];
    const slot = StorageSlot.of(x);
    const own = slot.own(x);
    owners.push(own === undefined ? undefined : slot);
    const ahead = takeStagedSum(u, x);
    if (ahead !== undefined || (fused && x.dtype === 'float32')) {
      const sum = ahead !== undefined ? (ahead.finite ? ahead.sum : undefined) : addKernel(own ?? values(x), values(u), takeScratch(x, x.size));
      if (sum === undefined) {
        bad = name;
        break;
      }
      next.push(ahead?.tensor !== undefined ? ahead.tensor() : sum);
    } else {
      unchecked.push(next.length);
      next.push(tf.tidy(() => x.add(u)));
    }
  }
  bad ??= firstNonFinite(names, next as tf.Tensor[], unchecked);
  if (bad !== undefined) {
    for (const t of next) if (t instanceof tf.Tensor) t.dispose();
    throw nonFiniteSum(bad);
  }
  for (let i = 0; i < names.length; i++) {
    const x = params[names[i]];
    const v = next[i];
    const owner = owners[i];
    if (v instanceof Float32Array && owner !== undefined && StorageSlot.swappable(v)) {
      giveScratch(x, owner.swap(v));
      continue;
    }
    const t = v instanceof Float32Array ? fromValues(v, x.shape) : v;
    const spare = ownValues(x);
    x.assign(t);
    t.dispose();
    if (spare !== undefined) giveScratch(x, spare);
  }
}
