import type { Params, Tensors } from './types';
import { checkMatches } from './tree';

/**
 * Run `fn` with the parameters temporarily holding other values (evaluation on averaged
 * weights, SAM's perturbed point), and put their own values back afterwards.
 *
 *   x ← values;  r = fn();  x ← x_before
 *
 * 1. `values` must name parameters and have their shapes (an `RxgradError` naming the parameter
 *    otherwise); parameters it does not name keep their values during `fn`.
 * 2. The parameters get back their former tensors — the same values, bit for bit — also when
 *    `fn` throws. No tensor is copied: a variable shares the values it is given.
 * 3. `values` stay the caller's.
 *
 * @example
 * const loss = withValues(params, averaged, () => fullLoss()); // params unchanged afterwards
 */
export function withValues<T>(params: Params, values: Tensors, fn: () => T): T {
  checkMatches(values, params, 'value');
  const names = Object.keys(values);
  const before = names.map((n) => params[n].clone());
  try {
    for (const n of names) params[n].assign(values[n]);
    return fn();
  } finally {
    names.forEach((n, i) => params[n].assign(before[i]));
    for (const t of before) t.dispose();
  }
}
