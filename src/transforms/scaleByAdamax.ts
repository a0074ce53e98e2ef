import * as tf from '@tensorflow/tfjs';
import { withDefaults } from './withDefaults';
import { adamHyper, type AdamHyperOptions } from './adamHyper';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByAdamax` (PyTorch Adamax's options; `betas` split into `beta1`, `beta2`). */
export type ScaleByAdamaxOptions = AdamHyperOptions;

/** One parameter's first moment m and exponentially weighted infinity norm `norm`. */
export interface ScaleByAdamaxParamState {
  readonly m: tf.Tensor;
  readonly norm: tf.Tensor;
}

/**
 * Defaults of `scaleByAdamax` (PyTorch's Adamax).
 *
 * @example
 * scaleByAdamaxDefaults.beta1; // 0.9
 */
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
export function scaleByAdamax(options: ScaleByAdamaxOptions = {}): ParamwiseTransform<ScaleByAdamaxParamState> {
  const o = withDefaults('scaleByAdamax', options, scaleByAdamaxDefaults);
  return paramwise({
    name: 'scaleByAdamax',
    hyper: adamHyper(o),
    init: (p) => ({ m: tf.zerosLike(p), norm: tf.zerosLike(p) }),
    update: (g, s, h, t) => {
      const m = ema(s.m, g, h.beta1);
      const norm = tf.maximum(s.norm.mul(h.beta2), g.abs().add(h.eps));
      return [m.div(norm).div(1 - h.beta1 ** t), { m, norm }];
    },
  });
}
