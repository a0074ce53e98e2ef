import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { withDefaults } from './withDefaults';
import { ema } from './ema';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByLion` (Optax's `scale_by_lion`: `b1`, `b2` as `beta1`, `beta2`). */
export interface ScaleByLionOptions {
  /** β1, the interpolation of the momentum and the gradient inside the sign (in [0, 1)). */
  readonly beta1?: HyperValue;
  /** β2, the decay of the momentum (in [0, 1)). */
  readonly beta2?: HyperValue;
}

/** One parameter's momentum m. */
export interface ScaleByLionParamState {
  readonly m: tf.Tensor;
}

/**
 * Defaults of `scaleByLion` (Optax's `scale_by_lion`).
 *
 * @example
 * scaleByLionDefaults.beta2; // 0.99
 */
export const scaleByLionDefaults: Readonly<Required<ScaleByLionOptions>> = { beta1: 0.9, beta2: 0.99 };

const BETA = { min: 0, max: 1, maxOpen: true } as const;

/**
 * Lion's sign update (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
 * Algorithm 2, without the learning rate and weight decay), as Optax's `scale_by_lion`:
 *
 *   u_t = sign(β1·m_{t-1} + (1 − β1)·g_t)
 *   m_t = β2·m_{t-1} + (1 − β2)·g_t
 *
 * m_0 = 0; sign(0) = 0. `beta1` and `beta2` accept a number or a schedule and are overridden by
 * `ctx.hyper`.
 *
 * @example
 * const t = scaleByLion();
 * const { updates } = t.update({ w: tf.tensor([-0.3, 2]) }, t.init({ w: tf.tensor([0, 0]) })); // [-1, 1]
 */
export function scaleByLion(options: ScaleByLionOptions = {}): ParamwiseTransform<ScaleByLionParamState> {
  const o = withDefaults('scaleByLion', options, scaleByLionDefaults);
  return paramwise({
    name: 'scaleByLion',
    hyper: { beta1: [o.beta1, BETA], beta2: [o.beta2, BETA] },
    init: (p): ScaleByLionParamState => ({ m: tf.zerosLike(p) }),
    update: (g, s, h) => [tf.sign(ema(s.m, g, h.beta1)), { m: ema(s.m, g, h.beta2) }],
  });
}
