import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';

/** Options of `sgd` (PyTorch's `SGD`, camelCase). */
export interface SgdOptions {
  readonly lr?: HyperValue;
}

/**
 * Stochastic gradient descent: x_t = x_{t-1} − η g_t.
 *
 * @example
 * const opt = sgd({ lr: 0.1 });
 */
export function sgd(options: SgdOptions = {}): Transform<unknown[]> {
  return chain(scaleByLearningRate(options.lr ?? 1e-3));
}
