import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { withDefaults } from './withDefaults';
import { adamHyper, type AdamHyperOptions } from './adamHyper';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByNadam` (PyTorch NAdam's options; `betas` split into `beta1`, `beta2`). */
export interface ScaleByNadamOptions extends AdamHyperOptions {
  /** ψ, the momentum decay of the μ_t schedule (≥ 0). */
  readonly momentumDecay?: HyperValue;
}

/** One parameter's moments m, v and the product Π_t = μ_1⋯μ_t (a number, 1 before the first update). */
export interface ScaleByNadamParamState {
  readonly m: tf.Tensor;
  readonly v: tf.Tensor;
  readonly muProduct: number;
}

/**
 * Defaults of `scaleByNadam` (PyTorch's NAdam).
 *
 * @example
 * scaleByNadamDefaults.beta1; // 0.9
 */
export const scaleByNadamDefaults: Readonly<Required<ScaleByNadamOptions>> = { beta1: 0.9, beta2: 0.999, eps: 1e-8, momentumDecay: 4e-3 };

/**
 * NAdam's scaling (PyTorch 2.x's NAdam without the learning rate):
 *
 *   μ_t  = β1·(1 − ½·0.96^(t·ψ)),   Π_t = Π_{t-1}·μ_t   (Π_0 = 1)
 *   m_t  = β1·m_{t-1} + (1 − β1)·g_t
 *   v_t  = β2·v_{t-1} + (1 − β2)·g_t²
 *   d_t  = √(v_t / (1 − β2^t)) + ε
 *   u_t  = (1 − μ_t)/(1 − Π_t) · g_t/d_t + μ_{t+1}/(1 − Π_t·μ_{t+1}) · m_t/d_t
 *
 * The product for step t+1 is μ_1⋯μ_t·μ_{t+1} (PyTorch 2.x; 1.13 multiplied one μ_t too many).
 * t counts this parameter's updates. `beta1`, `beta2`, `eps` and `momentumDecay` accept a number or
 * a schedule and are overridden by `ctx.hyper`.
 *
 * @example
 * const t = scaleByNadam();
 * const { updates } = t.update({ w: tf.tensor([2]) }, t.init({ w: tf.tensor([0]) }));
 */
export function scaleByNadam(options: ScaleByNadamOptions = {}): ParamwiseTransform<ScaleByNadamParamState> {
  const o = withDefaults('scaleByNadam', options, scaleByNadamDefaults);
  return paramwise({
    name: 'scaleByNadam',
    hyper: {
      ...adamHyper(o),
      momentumDecay: [o.momentumDecay, { min: 0 }],
    },
    init: (p) => ({ m: tf.zerosLike(p), v: tf.zerosLike(p), muProduct: 1 }),
    update: (g, s, h, t) => {
      const mu = h.beta1 * (1 - 0.5 * 0.96 ** (t * h.momentumDecay));
      const muNext = h.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * h.momentumDecay));
      const muProduct = s.muProduct * mu;
      const m = ema(s.m, g, h.beta1);
      const v = ema(s.v, g.square(), h.beta2);
      const denom = v.div(1 - h.beta2 ** t).sqrt().add(h.eps);
      const u = g.mul((1 - mu) / (1 - muProduct)).add(m.mul(muNext / (1 - muProduct * muNext))).div(denom);
      return [u, { m, v, muProduct }];
    },
  });
}
