import type * as tf from '@tensorflow/tfjs';

/** Views lent for the duration of one kernel call (see `lendValues`). */
let lent: Map<tf.Tensor, Float32Array> | undefined;

/**
 * Lend arrays as tensors' values for the duration of one kernel call: a kernel that writes a
 * state tensor's heap view (its `writable`) and then asks whether `values(t)` is that array (to
 * keep the tensor as the new state) gets the same array, without reading the tensor back (a copy
 * on wasm). Not reentrant.
 *
 * 1. `lendValues(loans)` starts the loans: `loans` is a map the caller fills as it hands arrays
 *    out (`[t, array]`);
 * 2. `lentValues(t)` (what `values(t)` asks first) is the array lent for `t`, else `undefined`;
 * 3. `endLoans()` ends them and empties the map: call it in a `finally`.
 *
 * @example
 * const loans = new Map();
 * lendValues(loans);
 * try { loans.set(m, heapValues(heap, m)!); values(m) === loans.get(m); } // true
 * finally { endLoans(); }
 */
export function lendValues(loans: Map<tf.Tensor, Float32Array>): void {
  lent = loans;
}

/** See `lendValues`. */
export function lentValues(t: tf.Tensor): Float32Array | undefined {
  return lent === undefined ? undefined : lent.get(t);
}

/** See `lendValues`. */
export function endLoans(): void {
  lent?.clear();
  lent = undefined;
}
