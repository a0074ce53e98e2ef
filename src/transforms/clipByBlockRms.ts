import type { HyperValue } from '../types';
import { paramwise, type ParamwiseTransform } from './paramwise';

/**
 * Adafactor's update clipping (Shazeer & Stern 2018, section 5), as Optax's `clip_by_block_rms`,
 * per parameter:
 *
 *   u'_t = u_t / max(1, RMS(u_t)/d),   RMS(u) = √mean(u²)
 *
 * `threshold` (d > 0, the hyperparameter `clippingThreshold`) accepts a number or a schedule and is overridden by `ctx.hyper`. No state
 * besides the count.
 *
 * @example
 * const t = clipByBlockRms(1);
 * const { updates } = t.update({ w: tf.tensor([3, 4]) }, t.init({ w: tf.tensor([0, 0]) })); // RMS √12.5: [0.849, 1.131]
 */
export function clipByBlockRms(threshold: HyperValue = 1): ParamwiseTransform<object> {
  return paramwise({
    name: 'clipByBlockRms',
    hyper: { clippingThreshold: [threshold, { min: 0, minOpen: true }] },
    init: () => ({}),
    update: (g, _s, h) => [g.div(g.square().mean().sqrt().div(h.clippingThreshold).maximum(1)), {}],
  });
}
