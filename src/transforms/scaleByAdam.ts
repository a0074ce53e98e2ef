import * as tf from '@tensorflow/tfjs';
import { bool } from '../validate';
import { withDefaults } from './withDefaults';
import { adamHyper, type AdamHyperOptions } from './adamHyper';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByAdam` (PyTorch Adam's options; `betas` split into `beta1`, `beta2`). */
export interface ScaleByAdamOptions extends AdamHyperOptions {
  /** AMSGrad: divide by the running maximum of v_t. */
  readonly amsgrad?: boolean;
}

/** One parameter's moments m, v and, with AMSGrad, the running maximum of v. */
export interface ScaleByAdamParamState {
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
  readonly vMax: tf.Tensor | null;
}

/**
 * Defaults of `scaleByAdam` (PyTorch's Adam).
 *
 * @example
 * scaleByAdamDefaults.beta1; // 0.9
 */
export const scaleByAdamDefaults: Readonly<Required<ScaleByAdamOptions>> = { beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false };

/**
 * Adam's scaling by bias-corrected moments (PyTorch's Adam without the learning rate):
 *
 *   m_t = β1·m_{t-1} + (1 − β1)·g_t
 *   v_t = β2·v_{t-1} + (1 − β2)·g_t²
 *   v̂_t = max(v̂_{t-1}, v_t)   (amsgrad; else v̂_t = v_t)
 *   u_t = (m_t / (1 − β1^t)) / (√v̂_t / √(1 − β2^t) + ε)
 *
 * m_0 = v_0 = 0; t counts this parameter's updates. `beta1`, `beta2` and `eps` accept a number or
 * a schedule and are overridden by `ctx.hyper`.
 *
 * @example
 * const t = scaleByAdam();
 * const { updates } = t.update({ w: tf.tensor([2]) }, t.init({ w: tf.tensor([0]) })); // ≈ [1] (sign of g at t = 1)
 */
export function scaleByAdam(options: ScaleByAdamOptions = {}): ParamwiseTransform<ScaleByAdamParamState> {
  const o = withDefaults('scaleByAdam', options, scaleByAdamDefaults);
  const amsgrad = bool('amsgrad', o.amsgrad);
  return paramwise({
    name: 'scaleByAdam',
    hyper: adamHyper(o),
    init: (p): ScaleByAdamParamState => ({ m: tf.zerosLike(p), v: tf.zerosLike(p), vMax: amsgrad ? tf.zerosLike(p) : null }),
    update: (g, s, h, t) => {
      const m = ema(s.m, g, h.beta1);
      const v = ema(s.v, g.square(), h.beta2);
      const vMax = s.vMax && tf.maximum(s.vMax, v);
      const denom = (vMax ?? v).sqrt().div(Math.sqrt(1 - h.beta2 ** t)).add(h.eps);
      return [m.div(1 - h.beta1 ** t).div(denom), { m, v, vMax }];
    },
  });
}
