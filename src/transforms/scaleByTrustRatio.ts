import * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { withDefaults } from './withDefaults';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `scaleByTrustRatio` (Optax's `scale_by_trust_ratio`). */
export interface ScaleByTrustRatioOptions {
  /** κ, the trust coefficient (≥ 0). */
  readonly trustCoefficient?: HyperValue;
  /** ε (≥ 0), added to the update's norm (`trustEps`, apart from Adam's `eps` in a LAMB chain). */
  readonly trustEps?: HyperValue;
  /** The smallest norm either side counts with (≥ 0; Optax's `min_norm`). */
  readonly minNorm?: HyperValue;
}

/**
 * Defaults of `scaleByTrustRatio` (Optax's `scale_by_trust_ratio`).
 *
 * @example
 * scaleByTrustRatioDefaults.trustCoefficient; // 1
 */
export const scaleByTrustRatioDefaults: Readonly<Required<ScaleByTrustRatioOptions>> = { trustCoefficient: 1, trustEps: 0, minNorm: 0 };

/**
 * Layer-wise trust ratio (You et al. 2017 LARS, 2019 LAMB), as Optax's `scale_by_trust_ratio`,
 * per parameter:
 *
 *   ‖x‖' = max(‖x_{t-1}‖, n_min),   ‖u‖' = max(‖u_t‖, n_min)      (L2 norms over the whole tensor)
 *   r_t  = κ·‖x‖' / (‖u‖' + ε),   or 1 when ‖x‖' = 0 or ‖u‖' = 0
 *   u'_t = r_t · u_t
 *
 * 1. Needs `params`; a missing parameter throws an `RxgradError` naming it.
 * 2. `trustCoefficient`, `trustEps` (ε) and `minNorm` accept a number or a schedule and are overridden by
 *    `ctx.hyper`. No state besides the count.
 *
 * @example
 * const t = scaleByTrustRatio();
 * const p = { w: tf.tensor([3, 4]) };                          // ‖x‖ = 5
 * const { updates } = t.update({ w: tf.tensor([0, 0.5]) }, t.init(p), p); // r = 5/0.5 = 10: [0, 5]
 */
export function scaleByTrustRatio(options: ScaleByTrustRatioOptions = {}): ParamwiseTransform<object> {
  const o = withDefaults('scaleByTrustRatio', options, scaleByTrustRatioDefaults);
  return paramwise({
    name: 'scaleByTrustRatio',
    hyper: { trustCoefficient: [o.trustCoefficient, { min: 0 }], trustEps: [o.trustEps, { min: 0 }], minNorm: [o.minNorm, { min: 0 }] },
    checkParam: (p) => {
      if (p === undefined) throw new RxgradError('params', 'the parameters (the trust ratio is ‖x‖/‖u‖)', shown('none'));
    },
    init: () => ({}),
    update: (g, _s, h, _t, p) => {
      const xNorm = tf.maximum(tf.norm(p!), h.minNorm);
      const uNorm = tf.maximum(tf.norm(g), h.minNorm);
      const ratio = tf.where(tf.logicalOr(xNorm.equal(0), uNorm.equal(0)), tf.onesLike(xNorm), xNorm.mul(h.trustCoefficient).div(uNorm.add(h.trustEps)));
      return [g.mul(ratio), {}];
    },
  });
}
