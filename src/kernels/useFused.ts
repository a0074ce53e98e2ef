import * as tf from '@tensorflow/tfjs';
import { RxgradError } from '../RxgradError';

/**
 * Where an optimizer runs its fused kernel (like PyTorch's `fused` option):
 * `'auto'` where `FUSED_BACKENDS` says it is faster, `true` on every backend, `false` never (the
 * chain of tensor ops).
 */
export type FusedMode = boolean | 'auto';

/**
 * Where `'auto'` takes the fused kernels: for each backend, the largest update (values summed
 * over the parameters updated) it takes them for; other backends never. Measured with
 * `npm run bench -- --backend <name> --fused true` against `--fused false`:
 *
 * - `cpu`: always. Reading a tensor's values is zero-copy there, so one pass in JavaScript
 *   replaces a dozen kernel launches and their temporaries (5–25× faster at 1e3–1e6 values).
 * - `wasm`: up to 2,048 values. Every read and every new tensor is a copy between the JS heap and
 *   wasm memory; below that size the saved kernel launches win, above it the copies and the JS
 *   loop lose to wasm's own kernels. Re-measured with the in-place kernels (CPU time per update,
 *   medians of 10): fused/chain at 2,048 values 0.48× (adam) and 0.63× (sgd, momentum 0.9), at
 *   4,096 0.81× and 1.20×, at 8,192 1.10× and 1.79×: the crossover is 3–4 k values for sgd and
 *   6–8 k for adam, so one limit for all stays at 2,048.
 * - `tensorflow` (tfjs-node): never, unmeasured (tfjs-node is not installed where this was
 *   measured), so its native kernels run.
 *
 * @example
 * FUSED_BACKENDS.wasm; // 2048
 */
export const FUSED_BACKENDS: Readonly<Record<string, number>> = { cpu: Infinity, wasm: 2048 };

/**
 * Check a `fused` option: `true`, `false` or `'auto'`.
 *
 * @example
 * fusedMode('auto'); // 'auto'
 * fusedMode('yes');  // throws "Expected `fused` true, false or 'auto', got "yes""
 */
export function fusedMode(value: unknown): FusedMode {
  if (value === true || value === false || value === 'auto') return value;
  throw new RxgradError('fused', "true, false or 'auto'", value);
}

/**
 * Whether a fused kernel runs now, for an update of `size` values, on the backend in force:
 *
 * 1. `true` → yes; `false` → no;
 * 2. `'auto'` → when `size` is at most `FUSED_BACKENDS[tf.getBackend()]` (checked at every call,
 *    so a backend switch mid-run switches the path; both paths share one state layout).
 *
 * @example
 * await tf.setBackend('cpu');
 * useFused('auto', 1e6); // true
 */
export function useFused(mode: FusedMode, size: number): boolean {
  if (mode !== 'auto') return mode;
  const limit = FUSED_BACKENDS[tf.getBackend()];
  return limit !== undefined && size <= limit;
}
