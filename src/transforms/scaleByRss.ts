import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { bool, inRange } from '../validate';
import { withDefaults } from './withDefaults';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByRss` (PyTorch Adagrad's options, camelCase). */
export interface ScaleByRssOptions {
  /** δ, the decay of the step size: u is divided by 1 + (t − 1)·δ (≥ 0). */
  readonly lrDecay?: HyperValue;
  /** s_0, the accumulator's starting value (≥ 0; not a hyperparameter: used by `init` only). */
  readonly initialAccumulatorValue?: number;
  /** ε (≥ 0). */
  readonly eps?: HyperValue;
  /** `true`: ε inside the root, g/√(s + ε) (the book's form); `false`: g/(√s + ε) (PyTorch's). */
  readonly epsInSqrt?: boolean;
}

/** One parameter's accumulated squares s. */
export interface ScaleByRssParamState {
  readonly sum: tf.Tensor;
}

/**
 * Defaults of `scaleByRss` (PyTorch's Adagrad).
 *
 * @example
 * scaleByRssDefaults.lrDecay; // 0
 */
export const scaleByRssDefaults: Readonly<Required<ScaleByRssOptions>> = { lrDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, epsInSqrt: false };

/**
 * AdaGrad's scaling by the root of the sum of squared gradients (PyTorch's Adagrad without the
 * learning rate):
 *
 *   s_t = s_{t-1} + g_t²                       (s_0 = initialAccumulatorValue)
 *   u_t = g_t / (√s_t + ε) / (1 + (t − 1)·δ)   (epsInSqrt: g_t / √(s_t + ε) / …)
 *
 * t counts this parameter's updates. `lrDecay` (δ) and `eps` accept a number or a schedule and
 * are overridden by `ctx.hyper`.
 *
 * @example
 * const t = scaleByRss();
 * const { updates } = t.update({ w: tf.tensor([3]) }, t.init({ w: tf.tensor([0]) })); // 3/√9 = [1]
 */
export function scaleByRss(options: ScaleByRssOptions = {}): ParamwiseTransform<ScaleByRssParamState> {
  const o = withDefaults('scaleByRss', options, scaleByRssDefaults);
  const s0 = inRange('initialAccumulatorValue', o.initialAccumulatorValue, { min: 0 });
  const epsInSqrt = bool('epsInSqrt', o.epsInSqrt);
  return paramwise({
    name: 'scaleByRss',
    hyper: {
      lrDecay: [o.lrDecay, { min: 0 }],
      eps: [o.eps, { min: 0 }],
    },
    init: (p) => ({ sum: tf.fill(p.shape, s0) }),
    update: (g, s, h, t) => {
      const sum = s.sum.add(g.square());
      const denom = epsInSqrt ? sum.add(h.eps).sqrt() : sum.sqrt().add(h.eps);
      const decay = 1 + (t - 1) * h.lrDecay;
      const u = g.div(denom);
      return [decay === 1 ? u : u.div(decay), { sum }];
    },
  });
}
