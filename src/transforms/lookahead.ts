import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { RxgradError, shown } from '../RxgradError';
import { inRange, positiveInt } from '../validate';
import { withDefaults } from './withDefaults';

/** Options of `lookahead` (Zhang et al. 2019; defaults of their paper and `torch_optimizer.Lookahead`). */
export interface LookaheadOptions {
  /** Synchronisation period: the slow weights move every k fast steps (5). */
  readonly k?: number;
  /** Slow step size α in (0, 1] (0.5). */
  readonly alpha?: number;
}

/** State of `lookahead`: the inner (fast) optimizer's state, the slow weights, and the fast steps made. */
export interface LookaheadState<S> {
  readonly inner: S;
  readonly slow: Tensors;
  readonly count: number;
}

const lookaheadDefaults: Readonly<Required<LookaheadOptions>> = { k: 5, alpha: 0.5 };

/**
 * Lookahead (Zhang, Lucas, Hinton & Ba, 2019): the inner optimizer moves the fast weights x;
 * every k steps the slow weights φ move towards them and the fast weights restart from there.
 *
 *   x̃ = x_{t-1} + inner(g_t)
 *   t mod k ≠ 0:  x_t = x̃
 *   t mod k = 0:  φ ← φ + α(x̃ − φ),  x_t = φ      (u_t = φ − x_{t-1})
 *
 * 1. The pipeline's parameters are the fast weights; φ is state, initialised to a copy of the
 *    parameters given to `init` (in a pipeline: their values at the run's first step).
 * 2. `update` needs `params` (an `RxgradError` otherwise). On a synchronising step every
 *    parameter `init` saw is moved (those without a gradient have x̃ = x).
 * 3. The inner optimizer's state carries over the synchronisation (as in the paper's code);
 *    `info.synced` is 1 on synchronising steps, else 0, merged with the inner's `info`.
 * 4. x_t = x_{t-1} + (φ − x_{t-1}) equals φ to float32 rounding (one ulp at most).
 *
 * @example
 * const opt = lookahead(adam({ lr: 1e-3 }), { k: 5, alpha: 0.5 });
 * steps.pipe(gradients(loss, params), optimize(opt), applyUpdates(params));
 */
export function lookahead<S>(inner: Transform<S>, options?: LookaheadOptions): Transform<LookaheadState<S>> {
  if (!inner || typeof inner.init !== 'function' || typeof inner.update !== 'function') throw new RxgradError('inner', 'a Transform { init, update }', inner);
  const o = withDefaults('lookahead', options, lookaheadDefaults);
  const k = positiveInt('options.k', o.k);
  const alpha = inRange('options.alpha', o.alpha, { min: 0, max: 1, minOpen: true });
  return {
    hyper: inner.hyper,
    init: (params: Tensors) => {
      if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tensors by name', params);
      const slow: Tensors = {};
      for (const name of Object.keys(params)) {
        if (!(params[name] instanceof tf.Tensor)) throw new RxgradError(`params.${name}`, 'a tensor', params[name]);
        slow[name] = params[name].clone();
      }
      return { inner: inner.init(params), slow, count: 0 };
    },
    update: (grads: Tensors, state: LookaheadState<S>, params?: Tensors, ctx?: UpdateContext) => {
      if (!params) throw new RxgradError('params', 'the parameters (the fast weights lookahead moves)', shown('none'));
      return tf.tidy(() => {
        const r = inner.update(grads, state.inner, params, ctx);
        const count = state.count + 1;
        if (count % k !== 0) {
          return { ...r, state: { inner: r.state, slow: state.slow, count }, info: { ...r.info, synced: 0 } } as unknown as tf.TensorContainer;
        }
        const slow: Tensors = {};
        const updates: Tensors = {};
        for (const name of Object.keys(state.slow)) {
          const x = params[name];
          if (!x) throw new RxgradError(`params.${name}`, 'the parameter lookahead.init() was given', x);
          const fast = r.updates[name] ? x.add(r.updates[name]) : x;
          slow[name] = state.slow[name].add(fast.sub(state.slow[name]).mul(alpha));
          updates[name] = slow[name].sub(x);
        }
        const result: UpdateResult<LookaheadState<S>> = { ...r, updates, state: { inner: r.state, slow, count }, info: { ...r.info, synced: 1 } };
        return result as unknown as tf.TensorContainer;
      }) as unknown as UpdateResult<LookaheadState<S>>;
    },
  };
}
