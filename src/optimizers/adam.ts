import type { HyperValue, Transform } from '../types';
import { withDefaults } from '../transforms/withDefaults';
import type { FusedMode } from '../kernels/useFused';
import { adamChain } from './adamChain';

/** Options of `adam` (PyTorch's `Adam`, camelCase; `betas` split into `beta1`, `beta2`). Hyperparameters accept a number or a schedule. */
export interface AdamOptions {
  /** η, the learning rate (≥ 0). */
  readonly lr?: HyperValue;
  /** β1, the decay of the first moment (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the second moment (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** ε (≥ 0), outside the root. */
  readonly eps?: HyperValue;
  /** λ, L2 weight decay added to the gradient (≥ 0). */
  readonly weightDecay?: HyperValue;
  /** AMSGrad: divide by the running maximum of v_t. */
  readonly amsgrad?: boolean;
  /** Run the fused kernel: `'auto'` where the backend allows (cpu), `true` always, `false` never (the chain). */
  readonly fused?: FusedMode;
}

/**
 * Defaults of `adam` (PyTorch's `Adam`).
 *
 * @example
 * adamDefaults.lr; // 1e-3
 */
export const adamDefaults: Readonly<Required<AdamOptions>> = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, fused: 'auto' };

/**
 * Adam, exactly PyTorch's `Adam`:
 *
 *   g'_t = g_t + λ·x_{t-1}
 *   m_t  = β1·m_{t-1} + (1 − β1)·g'_t,   v_t = β2·v_{t-1} + (1 − β2)·g'_t²
 *   v̂_t  = max(v̂_{t-1}, v_t) (amsgrad) | v_t
 *   x_t  = x_{t-1} − η · (m_t/(1 − β1^t)) / (√v̂_t/√(1 − β2^t) + ε)
 *
 * Matches `tf.train.adam(η, β1, β2, ε)` when ε is given (tfjs's default ε is the backend's, 1e-7).
 * Built as `chain(addDecayedWeights(λ), scaleByAdam({ beta1, beta2, eps, amsgrad }), scaleByLearningRate(η))`,
 * run by `adamKernel` in one pass per parameter where the backend allows (see `adamChain`).
 *
 * @example
 * const opt = adam({ lr: 0.01 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function adam(options: AdamOptions = {}): Transform<unknown[]> {
  return adamChain(withDefaults('adam', options, adamDefaults), false);
}
