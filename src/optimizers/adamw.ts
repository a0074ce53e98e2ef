import type { Transform } from '../types';
import type { AdamOptions } from './adam';
import { withDefaults } from '../transforms/withDefaults';
import { adamChain } from './adamChain';

/** Options of `adamw` (PyTorch's `AdamW`): those of `adam`, `weightDecay` being the decoupled decay. */
export type AdamwOptions = AdamOptions;

/**
 * Defaults of `adamw` (PyTorch's `AdamW`: as Adam's, with weightDecay 0.01).
 *
 * @example
 * adamwDefaults.lr; // 1e-3
 */
export const adamwDefaults: Readonly<Required<AdamwOptions>> = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, amsgrad: false, fused: 'auto' };

/**
 * AdamW (decoupled weight decay), exactly PyTorch's `AdamW`:
 *
 *   m_t = β1·m_{t-1} + (1 − β1)·g_t,   v_t = β2·v_{t-1} + (1 − β2)·g_t²
 *   v̂_t = max(v̂_{t-1}, v_t) (amsgrad) | v_t
 *   x_t = x_{t-1} − η·λ·x_{t-1} − η · (m_t/(1 − β1^t)) / (√v̂_t/√(1 − β2^t) + ε)
 *
 * Built as `chain(scaleByAdam({ beta1, beta2, eps, amsgrad }), addDecayedWeights(λ), scaleByLearningRate(η))`,
 * run by `adamKernel` in one pass per parameter where the backend allows (see `adamChain`).
 *
 * @example
 * const opt = adamw({ lr: 0.01, weightDecay: 0.1 });
 * const { updates, state } = opt.update(grads, opt.init(params), params);
 */
export function adamw(options: AdamwOptions = {}): Transform<unknown[]> {
  return adamChain(withDefaults('adamw', options, adamwDefaults), true);
}
