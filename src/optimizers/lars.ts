import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByTrustRatio } from '../transforms/scaleByTrustRatio';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { trace } from '../transforms/trace';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `lars` (Optax's `lars`, without masks). Hyperparameters accept a number or a schedule. */
export interface LarsOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** λ, weight decay added to the gradient before the trust ratio (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** κ, the trust coefficient (≥ 0). */
  readonly trustCoefficient?: HyperValue;
  /** ε (≥ 0), added to the norm of the update in the trust ratio (Optax's `eps`). */
  readonly trustEps?: HyperValue;
  /** μ, the momentum (≥ 0). */
  readonly momentum?: HyperValue;
  /** Nesterov momentum (needs μ > 0). */
  readonly nesterov?: boolean;
}

/**
 * Defaults of `lars`: Optax's `lars` (weight decay 0, trust coefficient 1e-3, ε 0, momentum 0.9,
 * no Nesterov). Optax has no default learning rate; 1 is the scale LARS's κ = 1e-3 is made for.
 *
 * @example
 * larsDefaults.trustCoefficient; // 1e-3
 */
export const larsDefaults: Readonly<Required<LarsOptions>> = { lr: 1, weightDecay: 0, trustCoefficient: 1e-3, trustEps: 0, momentum: 0.9, nesterov: false };

/**
 * LARS (You, Gitman & Ginsburg 2017, "Large Batch Training of Convolutional Networks",
 * Algorithm 1), as Optax's `lars`, per parameter:
 *
 *   d_t = g_t + λ·x_{t-1}
 *   r_t = κ·‖x_{t-1}‖/(‖d_t‖ + ε)   (1 if either norm is 0)
 *   a_t = −η_t·r_t·d_t
 *   v_1 = a_1,  v_t = μ·v_{t-1} + a_t
 *   x_t = x_{t-1} + (a_t + μ·v_t  if nesterov, else v_t)
 *
 * The momentum runs after the learning rate, as in Optax (the buffer holds steps, so a changing
 * η_t scales only the new term). Built as
 * `chain(addDecayedWeights(λ), scaleByTrustRatio({ trustCoefficient, trustEps }), scaleByLearningRate(η), trace({ momentum, nesterov }))`.
 *
 * @example
 * const opt = lars({ lr: 0.1, weightDecay: 1e-4 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function lars(options: LarsOptions = {}): Transform<unknown[]> {
  const o = withDefaults('lars', options, larsDefaults);
  return chain(
    addDecayedWeights(o.weightDecay),
    scaleByTrustRatio({ trustCoefficient: o.trustCoefficient, trustEps: o.trustEps }),
    scaleByLearningRate(o.lr),
    trace({ momentum: o.momentum, nesterov: o.nesterov }),
  );
}
