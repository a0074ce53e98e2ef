import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { scaleByAdam } from '../transforms/scaleByAdam';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByTrustRatio } from '../transforms/scaleByTrustRatio';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `lamb` (Optax's `lamb`: `b1`, `b2` as `beta1`, `beta2`). Hyperparameters accept a number or a schedule. */
export interface LambOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** β1, the decay of the first moment (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the second moment (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** ε (≥ 0), outside the root. */
  readonly eps?: HyperValue;
  /** λ, weight decay added to Adam's direction before the trust ratio (≥ 0). */
  readonly weightDecay?: HyperValue;
}

/**
 * Defaults of `lamb`: Optax's `lamb` (β1 0.9, β2 0.999, ε 1e-6, weight decay 0). Optax has no
 * default learning rate; 1e-3 is Adam's.
 *
 * @example
 * lambDefaults.eps; // 1e-6
 */
export const lambDefaults: Readonly<Required<LambOptions>> = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0 };

/**
 * LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2), as Optax's
 * `lamb`, per parameter:
 *
 *   m_t = β1·m_{t-1} + (1 − β1)·g_t,   v_t = β2·v_{t-1} + (1 − β2)·g_t²
 *   d_t = (m_t/(1 − β1^t)) / (√(v_t/(1 − β2^t)) + ε) + λ·x_{t-1}
 *   r_t = ‖x_{t-1}‖/‖d_t‖   (1 if either norm is 0)
 *   x_t = x_{t-1} − η·r_t·d_t
 *
 * Built as `chain(scaleByAdam({ beta1, beta2, eps }), addDecayedWeights(λ), scaleByTrustRatio(), scaleByLearningRate(η))`.
 *
 * @example
 * const opt = lamb({ lr: 0.01, weightDecay: 0.01 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function lamb(options: LambOptions = {}): Transform<unknown[]> {
  const o = withDefaults('lamb', options, lambDefaults);
  return chain(
    scaleByAdam({ beta1: o.beta1, beta2: o.beta2, eps: o.eps }),
    addDecayedWeights(o.weightDecay),
    scaleByTrustRatio(),
    scaleByLearningRate(o.lr),
  );
}
