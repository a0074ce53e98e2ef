import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { scaleByAdam } from '../transforms/scaleByAdam';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { scheduleFree, type ScheduleFreeState } from '../transforms/scheduleFree';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `scheduleFreeAdamw` (Optax's `contrib.schedule_free_adamw`: `b1`, `b2` as `beta1`, `beta2`). Hyperparameters accept a number or a schedule. */
export interface ScheduleFreeAdamwOptions {
  /** γ, the learning rate (≥ 0); a warmup is a schedule (`warmup(k, constant(γ))`), never a decay. */
  readonly lr?: HyperValue;
  /** β1, the interpolation y = (1 − β1)·z + β1·x (in (0, 1]). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the second moment (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** ε (≥ 0), outside the root. */
  readonly eps?: HyperValue;
  /** λ, decoupled weight decay at y (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** p, the power of the largest learning rate so far in the averaging weight (≥ 0). */
  readonly weightLrPower?: HyperValue;
}

/**
 * Defaults of `scheduleFreeAdamw`: Optax's `contrib.schedule_free_adamw` (lr 0.0025, b1 0.9,
 * b2 0.999, eps 1e-8, weight_decay 0, weight_lr_power 2), as the reference `AdamWScheduleFree`.
 *
 * @example
 * scheduleFreeAdamwDefaults.lr; // 0.0025
 */
export const scheduleFreeAdamwDefaults: Readonly<Required<ScheduleFreeAdamwOptions>> = { lr: 0.0025, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, weightLrPower: 2 };

/**
 * Schedule-free AdamW (Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1), as Optax's
 * `contrib.schedule_free_adamw`: AdamW without momentum moves z, y and x as in `scheduleFreeSgd`:
 *
 *   v_t = β2·v_{t-1} + (1 − β2)·g_t²,   g_t = ∇f(y_{t-1})
 *   z_t = z_{t-1} − γ_t·(g_t/(√(v_t/(1 − β2^t)) + ε) + λ·y_{t-1})
 *   c_t = (max_{s≤t} γ_s)^p / Σ_{s≤t} (max_{r≤s} γ_r)^p
 *   x_t = (1 − c_t)·x_{t-1} + c_t·z_t,   y_t = (1 − β1)·z_t + β1·x_t
 *
 * Built as `scheduleFree(chain(scaleByAdam({ beta1: 0, beta2, eps }), addDecayedWeights(λ), scaleByLearningRate(γ)), { lr: γ, beta1, weightLrPower })`
 * (Adam with β1 = 0 is Optax's bias-corrected `scale_by_rms`; the step's `beta1` is the
 * interpolation's, never passed to Adam). Evaluate at x: `scheduleFreeEvalParams(state, params)`.
 *
 * @example
 * const opt = scheduleFreeAdamw({ lr: 0.01 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 * const x = scheduleFreeEvalParams(state, params); // where to evaluate
 */
export function scheduleFreeAdamw(options: ScheduleFreeAdamwOptions = {}): Transform<ScheduleFreeState> {
  const o = withDefaults('scheduleFreeAdamw', options, scheduleFreeAdamwDefaults);
  return scheduleFree(chain(scaleByAdam({ beta1: 0, beta2: o.beta2, eps: o.eps }), addDecayedWeights(o.weightDecay), scaleByLearningRate(o.lr)), {
    lr: o.lr,
    beta1: o.beta1,
    weightLrPower: o.weightLrPower,
  });
}
