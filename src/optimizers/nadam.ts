import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { bool } from '../validate';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByNadam } from '../transforms/scaleByNadam';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `nadam` (PyTorch's `NAdam`, camelCase; `betas` split into `beta1`, `beta2`). Hyperparameters accept a number or a schedule. */
export interface NadamOptions {
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
  /** ψ, the momentum decay of the μ_t schedule (≥ 0). */
  readonly momentumDecay?: HyperValue;
  /** Apply λ as x_t = x_{t-1} − η·λ·x_{t-1} − … (PyTorch ≥ 2.1's `decoupled_weight_decay`). */
  readonly decoupledWeightDecay?: boolean;
}

/**
 * Defaults of `nadam` (PyTorch's `NAdam`).
 *
 * @example
 * nadamDefaults.lr; // 2e-3
 */
export const nadamDefaults: Readonly<Required<NadamOptions>> = {
  lr: 2e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  momentumDecay: 4e-3,
  decoupledWeightDecay: false,
};

/**
 * NAdam, exactly PyTorch 2.x's `NAdam`:
 *
 *   g'_t = g_t + λ·x_{t-1}                               (not decoupled)
 *   μ_t  = β1·(1 − ½·0.96^(t·ψ)),   Π_t = μ_1⋯μ_t
 *   m_t  = β1·m_{t-1} + (1 − β1)·g'_t,   v_t = β2·v_{t-1} + (1 − β2)·g'_t²
 *   d_t  = √(v_t/(1 − β2^t)) + ε
 *   x_t  = x_{t-1} − η·[(1 − μ_t)/(1 − Π_t) · g'_t/d_t + μ_{t+1}/(1 − Π_t·μ_{t+1}) · m_t/d_t]
 *          (− η·λ·x_{t-1} when decoupled)
 *
 * The product for step t+1 is μ_1⋯μ_t·μ_{t+1} (PyTorch 2.x; 1.13 had one μ_t too many). Built as
 * `chain(addDecayedWeights(λ), scaleByNadam({ beta1, beta2, eps, momentumDecay }), scaleByLearningRate(η))`,
 * the decay after the scaling when decoupled.
 *
 * @example
 * const opt = nadam({ lr: 0.01 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function nadam(options: NadamOptions = {}): Transform<unknown[]> {
  const o = withDefaults('nadam', options, nadamDefaults);
  const decay = addDecayedWeights(o.weightDecay);
  const scale = scaleByNadam({ beta1: o.beta1, beta2: o.beta2, eps: o.eps, momentumDecay: o.momentumDecay });
  const decoupled = bool('decoupledWeightDecay', o.decoupledWeightDecay);
  return decoupled ? chain(scale, decay, scaleByLearningRate(o.lr)) : chain(decay, scale, scaleByLearningRate(o.lr));
}
