import { RxgradError } from '../RxgradError';
import type { Schedule } from '../types';
import { inRange } from '../validate';
import { stepsBefore } from './stepsBefore';

/** Options of `multiplicative` (PyTorch's `MultiplicativeLR`). */
export interface MultiplicativeOptions {
  /** The value at step 1 (PyTorch: the optimizer's initial lr). */
  readonly base: number;
  /** The factor applied when the count becomes i (i = 1, 2, …), as PyTorch calls it. */
  readonly lambda: (count: number) => number;
}

/**
 * PyTorch's `MultiplicativeLR`: each step multiplies the previous value by λ of the count,
 *
 *   η_1 = base,   η_t = η_{t−1} · λ(t − 1)   (= base · Π_{i=1}^{t−1} λ(i))
 *
 * The product is taken in PyTorch's order and remembered, so evaluating step t costs O(1) once
 * the steps before it have been evaluated; the schedule stays a pure function of t.
 *
 * @example
 * const s = multiplicative({ base: 0.1, lambda: () => 0.9 });
 * s(3); // 0.1 · 0.9 · 0.9 = 0.081
 */
export function multiplicative(options: MultiplicativeOptions): Schedule {
  const base = inRange('base', options?.base, {});
  const lambda = options.lambda;
  if (typeof lambda !== 'function') throw new RxgradError('lambda', 'a function of the count e = t − 1', lambda);
  const values = [base];
  return (step) => {
    const e = stepsBefore(step);
    while (values.length <= e) values.push(values[values.length - 1] * lambda(values.length));
    return values[e];
  };
}
