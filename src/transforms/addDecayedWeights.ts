import type { HyperValue } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { share } from '../share';
import { paramwise, type ParamwiseTransform } from './paramwise';

/**
 * Add weight decay to the updates:
 *
 *   u_t = g_t + λ·x_{t-1}
 *
 * Before a scaling transform this is PyTorch's `weight_decay` (an L2 penalty folded into the
 * gradient); after it, right before `scaleByLearningRate`, it is AdamW's decoupled decay
 * x_t = x_{t-1} − η·(û_t + λ·x_{t-1}).
 *
 * 1. `weightDecay` (λ ≥ 0) accepts a number or a schedule and is overridden by `ctx.hyper`.
 * 2. With λ = 0 the updates pass through unchanged (no parameters needed).
 * 3. With λ ≠ 0 `update` needs `params`; a missing parameter throws an `RxgradError` naming it.
 *
 * @example
 * const t = addDecayedWeights(0.1);
 * const p = { w: tf.tensor([2]) };
 * const { updates } = t.update({ w: tf.tensor([1]) }, t.init(p), p); // 1 + 0.1·2 = [1.2]
 */
export function addDecayedWeights(weightDecay: HyperValue): ParamwiseTransform<object> {
  return paramwise({
    name: 'addDecayedWeights',
    hyper: { weightDecay: [weightDecay, { min: 0 }] },
    init: () => ({}),
    checkParam: (p, h) => {
      if (h.weightDecay !== 0 && p === undefined) throw new RxgradError('params', 'the parameters when weightDecay ≠ 0 (u = g + λ·x)', shown('none'));
    },
    update: (g, _s, h, _t, p) => [h.weightDecay === 0 ? share(g) : g.add(p!.mul(h.weightDecay)), {}],
  });
}
