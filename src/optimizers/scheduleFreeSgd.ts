import type { HyperValue, Transform } from '../types';
import { chain } from '../chain';
import { addDecayedWeights } from '../transforms/addDecayedWeights';
import { scaleByLearningRate } from '../transforms/scaleByLearningRate';
import { scheduleFree, type ScheduleFreeState } from '../transforms/scheduleFree';
import { withDefaults } from '../transforms/withDefaults';

/** Options of `scheduleFreeSgd` (Optax's `contrib.schedule_free_sgd`: `b1` as `beta1`). Hyperparameters accept a number or a schedule. */
export interface ScheduleFreeSgdOptions {
  /** γ, the learning rate (≥ 0); a warmup is a schedule (`warmup(k, constant(γ))`), never a decay. */
  readonly lr?: HyperValue;
  /** β, the interpolation y = (1 − β)·z + β·x (in (0, 1]). */
  readonly beta1?: HyperValue;
  /** λ, L2 weight decay added to the gradient at y (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** p, the power of the largest learning rate so far in the averaging weight (≥ 0). */
  readonly weightLrPower?: HyperValue;
}

/**
 * Defaults of `scheduleFreeSgd`: Optax's `contrib.schedule_free_sgd` (lr 1, b1 0.9, no weight
 * decay, weight_lr_power 2), the same as the reference `SGDScheduleFree` (facebookresearch/schedule_free).
 *
 * @example
 * scheduleFreeSgdDefaults.lr; // 1
 */
export const scheduleFreeSgdDefaults: Readonly<Required<ScheduleFreeSgdOptions>> = { lr: 1, beta1: 0.9, weightDecay: 0, weightLrPower: 2 };

/**
 * Schedule-free SGD (Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1 with SGD), as
 * Optax's `contrib.schedule_free_sgd`:
 *
 *   y_{t-1} = (1 − β)·z_{t-1} + β·x_{t-1}          (the parameters trained: gradients are taken at y)
 *   z_t = z_{t-1} − γ_t·(∇f(y_{t-1}) + λ·y_{t-1})
 *   c_t = (max_{s≤t} γ_s)^p / Σ_{s≤t} (max_{r≤s} γ_r)^p     (1/t for a constant γ)
 *   x_t = (1 − c_t)·x_{t-1} + c_t·z_t                (evaluate here: `scheduleFreeEvalParams`)
 *
 * Built as `scheduleFree(chain(addDecayedWeights(λ), scaleByLearningRate(γ)), { lr: γ, beta1, weightLrPower })`.
 *
 * @example
 * const opt = scheduleFreeSgd({ lr: 0.5 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 * const x = scheduleFreeEvalParams(state, params); // where to evaluate
 */
export function scheduleFreeSgd(options: ScheduleFreeSgdOptions = {}): Transform<ScheduleFreeState> {
  const o = withDefaults('scheduleFreeSgd', options, scheduleFreeSgdDefaults);
  return scheduleFree(chain(addDecayedWeights(o.weightDecay), scaleByLearningRate(o.lr)), { lr: o.lr, beta1: o.beta1, weightLrPower: o.weightLrPower });
}
