import * as tf from '@tensorflow/tfjs';
import { withDefaults } from './withDefaults';
import { adamHyper, type AdamHyperOptions } from './adamHyper';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByRadam` (PyTorch RAdam's options; `betas` split into `beta1`, `beta2`). */
export type ScaleByRadamOptions = AdamHyperOptions;

/** One parameter's moments m and v. */
export interface ScaleByRadamParamState {
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
}

/**
 * Defaults of `scaleByRadam` (PyTorch's RAdam).
 *
 * @example
 * scaleByRadamDefaults.beta1; // 0.9
 */
export const scaleByRadamDefaults: Readonly<Required<ScaleByRadamOptions>> = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/**
 * RAdam's rectified scaling (PyTorch's RAdam without the learning rate):
 *
 *   m_t = β1·m_{t-1} + (1 − β1)·g_t,   v_t = β2·v_{t-1} + (1 − β2)·g_t²
 *   ρ_∞ = 2/(1 − β2) − 1,   ρ_t = ρ_∞ − 2t·β2^t/(1 − β2^t)
 *   r_t = √((ρ_t − 4)(ρ_t − 2)ρ_∞ / ((ρ_∞ − 4)(ρ_∞ − 2)ρ_t))
 *   u_t = m_t/(1 − β1^t) · r_t·√(1 − β2^t)/(√v_t + ε)   if ρ_t > 5
 *   u_t = m_t/(1 − β1^t)                                  otherwise
 *
 * m_0 = v_0 = 0; t counts this parameter's updates. `beta1`, `beta2` and `eps` accept a number or
 * a schedule and are overridden by `ctx.hyper`.
 *
 * @example
 * const t = scaleByRadam();
 * const { updates } = t.update({ w: tf.tensor([2]) }, t.init({ w: tf.tensor([0]) })); // ρ_1 ≤ 5: m̂ = [2]
 */
export function scaleByRadam(options: ScaleByRadamOptions = {}): ParamwiseTransform<ScaleByRadamParamState> {
  const o = withDefaults('scaleByRadam', options, scaleByRadamDefaults);
  return paramwise({
    name: 'scaleByRadam',
    hyper: adamHyper(o),
    init: (p) => ({ m: tf.zerosLike(p), v: tf.zerosLike(p) }),
    update: (g, s, h, t) => {
      const m = ema(s.m, g, h.beta1);
      const v = ema(s.v, g.square(), h.beta2);
      const mHat = m.div(1 - h.beta1 ** t);
      const bc2 = 1 - h.beta2 ** t;
      const rhoInf = 2 / (1 - h.beta2) - 1;
      const rho = rhoInf - (2 * t * h.beta2 ** t) / bc2;
      if (!(rho > 5)) return [mHat, { m, v }];
      const rect = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
      return [mHat.mul(rect * Math.sqrt(bc2)).div(v.sqrt().add(h.eps)), { m, v }];
    },
  });
}
