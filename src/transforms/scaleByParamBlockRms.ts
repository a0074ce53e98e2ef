import type { HyperValue } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { paramwise, type ParamwiseTransform } from './paramwise';

/**
 * Adafactor's relative step size (Shazeer & Stern 2018, section 8), as Optax's
 * `scale_by_param_block_rms`, per parameter:
 *
 *   u'_t = u_t · max(RMS(x_{t-1}), ε₂),   RMS(x) = √mean(x²)
 *
 * 1. Needs `params`; a missing parameter throws an `RxgradError` naming it.
 * 2. `minScale` (ε₂ ≥ 0) accepts a number or a schedule and is overridden by `ctx.hyper`.
 *
 * @example
 * const t = scaleByParamBlockRms();
 * const p = { w: tf.tensor([3, 4]) };                               // RMS √12.5
 * const { updates } = t.update({ w: tf.tensor([1, 1]) }, t.init(p), p); // [3.536, 3.536]
 */
export function scaleByParamBlockRms(minScale: HyperValue = 1e-3): ParamwiseTransform<object> {
  return paramwise({
    name: 'scaleByParamBlockRms',
    hyper: { minScale: [minScale, { min: 0 }] },
    checkParam: (p) => {
      if (p === undefined) throw new RxgradError('params', 'the parameters (the step is relative to RMS(x))', shown('none'));
    },
    init: () => ({}),
    update: (g, _s, h, _t, p) => [g.mul(p!.square().mean().sqrt().maximum(h.minScale)), {}],
  });
}
