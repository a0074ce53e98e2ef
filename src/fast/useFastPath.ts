import * as tf from '@tensorflow/tfjs';
import { isExampleBatch } from '../models/batchTensors';
import type { AnyBatch } from '../models/Model';

/**
 * Where `gradients`' fast path (`fast: 'auto'`) runs: for each backend, the largest step it takes
 * it for, in multiply-adds of one forward pass (parameter values × batch rows, see `stepWork`);
 * other backends never (tfjs's autodiff). Measured on CPU time per step of
 * `gradients → optimize(sgd) → applyUpdates` with `fast: true` against `fast: false` (2 vCPU):
 *
 * - `cpu`: always. Reading a tensor is zero-copy there and tfjs's own cpu kernels are JavaScript
 *   too (logistic regression, 100 features, batch 1: 46 µs against 181; MLP 100-256-10 at batch
 *   128, 3.6 M multiply-adds: 22 ms against 27).
 * - `wasm`: up to 65,536. Below, tfjs's per-op cost dominates (logistic, 100 features, batch 1:
 *   56 µs against 321; MLP 100-32-1 at batch 8, 26 k: 674 µs against 1,005; MLP 100-256-10 at
 *   batch 1, 28 k: 688 against 922); above, wasm's kernels win (MLP 100-32-1 at batch 32, 105 k:
 *   820 against 760; MLP 100-256-10 at batch 8, 226 k: 2.1 ms against 1.0; at batch 128: 21.6 ms
 *   against 2.7).
 *
 * `applyUpdates`' fused path (whole steps on arrays, no tensor per step) runs on `cpu` only: it
 * writes each parameter in its own storage after every step, which only `cpu` exposes; on `wasm`
 * every step would read and write copies of the parameters, so the general path (with the fast
 * gradients above) runs there.
 *
 * @example
 * FAST_BACKENDS.wasm; // 65536
 */
export const FAST_BACKENDS: Readonly<Record<string, number>> = { cpu: Infinity, wasm: 65_536 };

/**
 * The multiply-adds of one forward pass of a dense model with `values` parameter values over
 * `batch`: values × rows (rows: an `ExampleBatch`'s `n`, else the first dimension of `xs`).
 *
 * @example
 * stepWork(101, { xs: tf.zeros([10, 100]), ys: tf.zeros([10]) }); // 1010
 */
export function stepWork(values: number, batch: AnyBatch): number {
  return values * (isExampleBatch(batch) ? batch.n : (batch.xs?.shape[0] ?? 1));
}

/**
 * Whether a step takes the fast path now, for `work` multiply-adds (`stepWork`), on the backend
 * in force:
 *
 * 1. `true` → yes; `false` → no;
 * 2. `'auto'` → when `work` is at most `FAST_BACKENDS[tf.getBackend()]` (checked at every step).
 *
 * @example
 * await tf.setBackend('wasm');
 * useFastPath('auto', 1010);  // true
 * useFastPath('auto', 3.6e6); // false
 */
export function useFastPath(mode: boolean | 'auto', work: number): boolean {
  if (mode !== 'auto') return mode;
  const limit = FAST_BACKENDS[tf.getBackend()];
  return limit !== undefined && work <= limit;
}
