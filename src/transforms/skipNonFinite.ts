import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { RxgradError } from '../RxgradError';
import { mapTree } from '../tree';

/** State of `skipNonFinite`: the inner transform's state and how many updates were skipped so far. */
export interface SkipNonFiniteState<S> {
  readonly inner: S;
  readonly skipped: number;
}

function allFinite(trees: readonly Tensors[]): boolean {
  const checks = trees.flatMap((tree) => Object.values(tree).map((t) => tf.all(tf.isFinite(t))));
  return checks.length === 0 || tf.all(tf.stack(checks)).dataSync()[0] === 1;
}

/**
 * Guard a transform against non-finite gradients: a step with a NaN or ±Infinity gradient (or
 * one the inner transform turns into a non-finite update, or an update that would take a
 * parameter out of float32's range: x + u not finite, e.g. lr 1e38) is skipped and counted, and
 * the parameters and the inner state are left exactly as they were.
 *
 * 1. `inner.update` runs; if every gradient, every resulting update and — when `params` are
 *    given (the pipeline gives them) — every x + u is finite, its result is returned as is,
 *    with `info.skipped = 0`.
 * 2. Otherwise the updates are zeros, the state is `{ inner: <the old inner state, same object>,
 *    skipped: skipped + 1 }`, `info.skipped = 1`, and the inner's new tensors are freed.
 * 3. One read-back of a boolean per update; all of it in one `tf.tidy`.
 *
 * @example
 * const opt = skipNonFinite(adam({ lr: 0.01 }));
 * const r = opt.update({ w: tf.tensor([NaN]) }, opt.init(params), params);
 * // r.updates.w = [0], r.info.skipped = 1, r.state.skipped = 1
 */
export function skipNonFinite<S>(inner: Transform<S>): Transform<SkipNonFiniteState<S>> {
  if (!inner || typeof inner.init !== 'function' || typeof inner.update !== 'function') {
    throw new RxgradError('inner', 'a Transform { init, update }', inner);
  }
  return {
    hyper: inner.hyper,
    init: (params: Tensors) => ({ inner: inner.init(params), skipped: 0 }),
    update: (grads: Tensors, state: SkipNonFiniteState<S>, params?: Tensors, ctx?: UpdateContext) =>
      tf.tidy(() => {
        const r = inner.update(grads, state.inner, params, ctx);
        const moved = params ? mapTree(r.updates, (u, name) => (params[name] ? params[name].add(u) : u)) : {};
        const result: UpdateResult<SkipNonFiniteState<S>> = allFinite([grads, r.updates, moved])
          ? { ...r, state: { inner: r.state, skipped: state.skipped }, info: { ...r.info, skipped: 0 } }
          : {
              updates: mapTree(grads, (g) => tf.zerosLike(g)),
              state: { inner: state.inner, skipped: state.skipped + 1 },
              info: { skipped: 1 },
              ...(r.used && { used: r.used }),
            };
        return result as unknown as tf.TensorContainer;
      }) as unknown as UpdateResult<SkipNonFiniteState<S>>,
  };
}
