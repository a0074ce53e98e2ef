import type * as tf from '@tensorflow/tfjs';
import type { HyperValue } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { bool } from '../validate';
import { share } from '../share';
import { withDefaults } from './withDefaults';
import { paramwise, type ParamwiseTransform } from './paramwise';

/** Options of `trace` (PyTorch SGD's momentum options). */
export interface TraceOptions {
  /** μ, the momentum (≥ 0). */
  readonly momentum?: HyperValue;
  /** τ, the dampening of the new gradient (in [0, 1]). */
  readonly dampening?: HyperValue;
  /** Nesterov's form: u = g + μ·v (needs μ > 0 and τ = 0). */
  readonly nesterov?: boolean;
}

/** One parameter's momentum buffer v; `null` until the first update with μ ≠ 0 (as in PyTorch). */
export interface TraceParamState {
  readonly trace: tf.Tensor | null;
}

/**
 * Defaults of `trace`.
 *
 * @example
 * traceDefaults.momentum; // 0.9
 */
export const traceDefaults: Readonly<Required<TraceOptions>> = { momentum: 0.9, dampening: 0, nesterov: false };

/**
 * Momentum, exactly as PyTorch's SGD keeps it (the buffer holds gradients, not steps; the
 * learning rate is applied after):
 *
 *   v_1 = g_1                      (the first update with μ ≠ 0 copies the gradient)
 *   v_t = μ·v_{t-1} + (1 − τ)·g_t
 *   u_t = g_t + μ·v_t   (nesterov)   or   u_t = v_t
 *
 * With μ = 0 the gradient passes through and no buffer is kept. `momentum` and `dampening`
 * accept a number or a schedule and are overridden by `ctx.hyper`; `nesterov` requires μ > 0
 * and τ = 0, checked at construction and at every update.
 *
 * @example
 * const t = trace({ momentum: 0.9 });
 * const s0 = t.init({ w: tf.tensor([0]) });
 * const r1 = t.update({ w: tf.tensor([1]) }, s0);       // u = [1]
 * const r2 = t.update({ w: tf.tensor([1]) }, r1.state); // u = 0.9·1 + 1 = [1.9]
 */
export function trace(options: TraceOptions = {}): ParamwiseTransform<TraceParamState> {
  const o = withDefaults('trace', options, traceDefaults);
  const nesterov = bool('nesterov', o.nesterov);
  return paramwise({
    name: 'trace',
    hyper: {
      momentum: [o.momentum, { min: 0 }],
      dampening: [o.dampening, { min: 0, max: 1 }],
    },
    check: (h) => {
      if (nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
        throw new RxgradError('nesterov', 'to come with momentum > 0 and dampening 0', shown(`momentum ${h.momentum}, dampening ${h.dampening}`));
      }
    },
    init: (): TraceParamState => ({ trace: null }),
    update: (g, s, h) => {
      if (h.momentum === 0) return [share(g), { trace: s.trace }];
      const v = s.trace === null ? share(g) : s.trace.mul(h.momentum).add(h.dampening === 0 ? g : g.mul(1 - h.dampening));
      return [nesterov ? g.add(v.mul(h.momentum)) : share(v), { trace: v }];
    },
  });
}
