import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { bool } from '../validate';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByRadam } from '../transforms/scaleByRadam';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `radam` (PyTorch's `RAdam`, camelCase; `betas` split into `beta1`, `beta2`). Hyperparameters accept a number or a schedule. */
export interface RadamOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** β1, the decay of the first moment (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the second moment (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** ε (≥ 0), outside the root. */
  readonly eps?: HyperValue;
  /** λ, weight decay (≥ 0): L2 added to the gradient, or decoupled (AdamW-style). */
  readonly weightDecay?: HyperValue;
  /** Apply λ as x_t = x_{t-1} − η·λ·x_{t-1} − … (PyTorch ≥ 2.1's `decoupled_weight_decay`). */
  readonly decoupledWeightDecay?: boolean;
}

/**
 * Defaults of `radam` (PyTorch's `RAdam`).
 *
 * @example
 * radamDefaults.lr; // 1e-3
 */
export const radamDefaults: Readonly<Required<RadamOptions>> = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
};

/**
 * RAdam (rectified Adam), exactly PyTorch's `RAdam`:
 *
 *   g'_t = g_t + λ·x_{t-1}                               (not decoupled)
 *   m_t  = β1·m_{t-1} + (1 − β1)·g'_t,   v_t = β2·v_{t-1} + (1 − β2)·g'_t²
 *   ρ_∞  = 2/(1 − β2) − 1,   ρ_t = ρ_∞ − 2t·β2^t/(1 − β2^t)
 *   r_t  = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
 *   x_t  = x_{t-1} − η·m_t/(1 − β1^t) · r_t·√(1 − β2^t)/(√v_t + ε)   if ρ_t > 5
 *   x_t  = x_{t-1} − η·m_t/(1 − β1^t)                                 otherwise
 *          (− η·λ·x_{t-1} when decoupled)
 *
 * Built as `chain(addDecayedWeights(λ), scaleByRadam({ beta1, beta2, eps }), scaleByLearningRate(η))`,
 * the decay after the scaling when decoupled.
 *
 * @example
 * const opt = radam({ lr: 0.01 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function radam(options: RadamOptions = {}): Transform<unknown[]> {
  const o = withDefaults('radam', options, radamDefaults);
  const decay = addDecayedWeights(o.weightDecay);
  const scale = scaleByRadam({ beta1: o.beta1, beta2: o.beta2, eps: o.eps });
  const decoupled = bool('decoupledWeightDecay', o.decoupledWeightDecay);
  return decoupled ? chain(scale, decay, scaleByLearningRate(o.lr)) : chain(decay, scale, scaleByLearningRate(o.lr));
}
