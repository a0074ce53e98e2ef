import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { scaleByLion } from '../transforms/scaleByLion';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `lion` (Optax's `lion`: `b1`, `b2` as `beta1`, `beta2`). Hyperparameters accept a number or a schedule. */
export interface LionOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** β1, the interpolation inside the sign (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the momentum (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** λ, decoupled weight decay (≥ 0). */
  readonly weightDecay?: HyperValue;
}

/**
 * Defaults of `lion`: Optax's `lion` (β1 0.9, β2 0.99, weight decay 1e-3). Optax has no default
 * learning rate; 1e-4 is the paper's advice (3–10× below AdamW's 1e-3).
 *
 * @example
 * lionDefaults.beta2; // 0.99
 */
export const lionDefaults: Readonly<Required<LionOptions>> = { lr: 1e-4, beta1: 0.9, beta2: 0.99, weightDecay: 1e-3 };

/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2), as
 * Optax's `lion`, weight decay decoupled:
 *
 *   c_t = β1·m_{t-1} + (1 − β1)·g_t
 *   x_t = x_{t-1} − η·(sign(c_t) + λ·x_{t-1})
 *   m_t = β2·m_{t-1} + (1 − β2)·g_t
 *
 * Built as `chain(scaleByLion({ beta1, beta2 }), addDecayedWeights(λ), scaleByLearningRate(η))`.
 *
 * @example
 * const opt = lion({ lr: 1e-4 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function lion(options: LionOptions = {}): Transform<unknown[]> {
  const o = withDefaults('lion', options, lionDefaults);
  return chain(scaleByLion({ beta1: o.beta1, beta2: o.beta2 }), addDecayedWeights(o.weightDecay), scaleByLearningRate(o.lr));
}
