import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { withDefaults } from './withDefaults';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByAdadelta` (PyTorch Adadelta's options). */
export interface ScaleByAdadeltaOptions {
  /** ρ, the decay of both running averages (in [0, 1]). */
  readonly rho?: HyperValue;
  /** ε (≥ 0), inside both roots. */
  readonly eps?: HyperValue;
}

/** One parameter's running averages of g² (`square`) and of the squared steps Δx² (`delta`). */
export interface ScaleByAdadeltaParamState {
  readonly square: tf.Tensor;
  readonly delta: tf.Tensor;
}

/**
 * Defaults of `scaleByAdadelta` (PyTorch's Adadelta).
 *
 * @example
 * scaleByAdadeltaDefaults.rho; // 0.9
 */
export const scaleByAdadeltaDefaults: Readonly<Required<ScaleByAdadeltaOptions>> = { rho: 0.9, eps: 1e-6 };

/**
 * AdaDelta's rescaling (PyTorch's Adadelta without the learning rate):
 *
 *   s_t  = ρ·s_{t-1} + (1 − ρ)·g_t²
 *   g'_t = √(Δx_{t-1} + ε) / √(s_t + ε) · g_t
 *   Δx_t = ρ·Δx_{t-1} + (1 − ρ)·g'_t²
 *   u_t  = g'_t
 *
 * s_0 = Δx_0 = 0. `rho` and `eps` accept a number or a schedule and are overridden by
 * `ctx.hyper`.
 *
 * @example
 * const t = scaleByAdadelta({ rho: 0.9 });
 * const { updates } = t.update({ w: tf.tensor([1]) }, t.init({ w: tf.tensor([0]) })); // √1e-6/√(0.1 + 1e-6)
 */
export function scaleByAdadelta(options: ScaleByAdadeltaOptions = {}): ParamwiseTransform<ScaleByAdadeltaParamState> {
  const o = withDefaults('scaleByAdadelta', options, scaleByAdadeltaDefaults);
  return paramwise({
    name: 'scaleByAdadelta',
    hyper: {
      rho: [o.rho, { min: 0, max: 1 }],
      eps: [o.eps, { min: 0 }],
    },
    init: (p) => ({ square: tf.zerosLike(p), delta: tf.zerosLike(p) }),
    update: (g, s, h) => {
      const square = ema(s.square, g.square(), h.rho);
      const step = s.delta.add(h.eps).sqrt().div(square.add(h.eps).sqrt()).mul(g);
      const delta = ema(s.delta, step.square(), h.rho);
      return [step, { square, delta }];
    },
  });
}
