import * as tf from '@tensorflow/tfjs';
import type { HyperValue, Transform } from '../types';
import { withDefaults } from './withDefaults';
import { paramwise, type ParamwiseState } from './paramwise';

/** Options of `scaleByAdamax` (PyTorch Adamax's options; `betas` split into `beta1`, `beta2`). */
export interface ScaleByAdamaxOptions {
  /** β1, the decay of the first moment (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the infinity norm (in [0, 1)). */
  readonly beta2?: HyperValue;
  /** ε (≥ 0), added to |g| inside the maximum. */
  readonly eps?: HyperValue;
}

/** One parameter's first moment m and exponentially weighted infinity norm `norm`. */
export interface ScaleByAdamaxParamState {
  readonly m: tf.Tensor;
  readonly norm: tf.Tensor;
}

/** Defaults of `scaleByAdamax` (PyTorch's Adamax). */
export const scaleByAdamaxDefaults: Readonly<Required<ScaleByAdamaxOptions>> = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * Adamax's scaling by the infinity norm (PyTorch's Adamax without the learning rate):
 *
 *   m_t = β1·m_{t-1} + (1 − β1)·g_t
 *   n_t = max(β2·n_{t-1}, |g_t| + ε)
 *   u_t = m_t / ((1 − β1^t)·n_t)
 *
 * m_0 = n_0 = 0; t counts this parameter's updates. `beta1`, `beta2` and `eps` accept a number or
 * a schedule and are overridden by `ctx.hyper`.
 *
 * @example
 * const t = scaleByAdamax();
 * const { updates } = t.update({ w: tf.tensor([2]) }, t.init({ w: tf.tensor([0]) })); // 0.2/(0.1·2) ≈ [1]
 */
export function scaleByAdamax(options: ScaleByAdamaxOptions = {}): Transform<ParamwiseState<ScaleByAdamaxParamState>> {
  const o = withDefaults('scaleByAdamax', options, scaleByAdamaxDefaults);
  return paramwise({
    name: 'scaleByAdamax',
    hyper: {
      beta1: [o.beta1, { min: 0, max: 1, maxOpen: true }],
      beta2: [o.beta2, { min: 0, max: 1, maxOpen: true }],
      eps: [o.eps, { min: 0 }],
    },
    init: (p) => ({ m: tf.zerosLike(p), norm: tf.zerosLike(p) }),
    update: (g, s, h, t) => {
      const m = s.m.mul(h.beta1).add(g.mul(1 - h.beta1));
      const norm = tf.maximum(s.norm.mul(h.beta2), g.abs().add(h.eps));
      return [m.div(norm).div(1 - h.beta1 ** t), { m, norm }];
    },
  });
}
