import * as tf from '@tensorflow/tfjs';
import { RxgradError } from '../RxgradError';

/**
 * Where an optimizer runs its fused kernel (like PyTorch's `fused` option):
 * `'auto'` on the backends of `FUSED_BACKENDS`, `true` on every backend, `false` never (the
 * chain of tensor ops).
 */
export type FusedMode = boolean | 'auto';

/**
 * The backends on which `'auto'` takes the fused kernels. On `cpu` reading a tensor's values is
 * zero-copy, so one pass in JavaScript replaces a dozen kernel launches and their temporaries.
 * On `wasm` every read and every new tensor is a copy between the JS heap and wasm memory;
 * `bench/optimizers.ts --backend wasm` measures both paths there.
 */
export const FUSED_BACKENDS: readonly string[] = ['cpu'];

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
 * Whether a fused kernel runs now, on the backend in force:
 *
 * 1. `true` → yes; `false` → no;
 * 2. `'auto'` → when `tf.getBackend()` is one of `FUSED_BACKENDS` (checked at every call, so a
 *    backend switch mid-run switches the path; both paths share one state layout).
 *
 * @example
 * await tf.setBackend('cpu');
 * useFused('auto'); // true
 */
export function useFused(mode: FusedMode): boolean {
  return mode === 'auto' ? FUSED_BACKENDS.includes(tf.getBackend()) : mode;
}
