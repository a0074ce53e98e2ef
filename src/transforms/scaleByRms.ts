import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { bool } from '../validate';
import { withDefaults } from './withDefaults';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByRms` (PyTorch RMSprop's options, camelCase). */
export interface ScaleByRmsOptions {
  /** α, the decay of the running averages (in [0, 1]; the book's γ). */
  readonly alpha?: HyperValue;
  /** ε (≥ 0). */
  readonly eps?: HyperValue;
  /** `true`: ε inside the root, g/√(s + ε) (the book's form); `false`: g/(√s + ε) (PyTorch's). */
  readonly epsInSqrt?: boolean;
  /** Divide by the centred second moment s − m² instead of s. */
  readonly centered?: boolean;
}

/** One parameter's running average of g² (`square`) and, when centred, of g (`mean`). */
export interface ScaleByRmsParamState {
  readonly square: tf.Tensor;
  readonly mean: tf.Tensor | null;
}

/**
 * Defaults of `scaleByRms` (PyTorch's RMSprop).
 *
 * @example
 * scaleByRmsDefaults.alpha; // 0.99
 */
export const scaleByRmsDefaults: Readonly<Required<ScaleByRmsOptions>> = { alpha: 0.99, eps: 1e-8, epsInSqrt: false, centered: false };

/**
 * RMSProp's scaling by a running root mean square (PyTorch's RMSprop without momentum and
 * learning rate):
 *
 *   s_t = α·s_{t-1} + (1 − α)·g_t²
 *   m_t = α·m_{t-1} + (1 − α)·g_t          (centered only)
 *   u_t = g_t / (√(s_t − m_t²) + ε)         (centered; else √s_t; epsInSqrt: √(… + ε))
 *
 * s_0 = m_0 = 0. `alpha` and `eps` accept a number or a schedule and are overridden by
 * `ctx.hyper`.
 *
 * @example
 * const t = scaleByRms({ alpha: 0.9 });
 * const { updates } = t.update({ w: tf.tensor([1]) }, t.init({ w: tf.tensor([0]) })); // 1/(√0.1 + 1e-8)
 */
export function scaleByRms(options: ScaleByRmsOptions = {}): ParamwiseTransform<ScaleByRmsParamState> {
  const o = withDefaults('scaleByRms', options, scaleByRmsDefaults);
  const epsInSqrt = bool('epsInSqrt', o.epsInSqrt);
  const centered = bool('centered', o.centered);
  return paramwise({
    name: 'scaleByRms',
    hyper: {
      alpha: [o.alpha, { min: 0, max: 1 }],
      eps: [o.eps, { min: 0 }],
    },
    init: (p): ScaleByRmsParamState => ({ square: tf.zerosLike(p), mean: centered ? tf.zerosLike(p) : null }),
    update: (g, s, h) => {
      const square = ema(s.square, g.square(), h.alpha);
      const mean = s.mean && ema(s.mean, g, h.alpha);
      const variance = mean ? square.sub(mean.square()) : square;
      const denom = epsInSqrt ? variance.add(h.eps).sqrt() : variance.sqrt().add(h.eps);
      return [g.div(denom), { square, mean }];
    },
  });
}
