import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { RxgradError } from '../RxgradError';
import { share } from '../share';
import { groupTree, paramLabeller } from './paramLabels';

/** Which parameters `masked` applies its transform to: a predicate of the name (and tensor), or a RegExp on the name. */
export type ParamMask = ((name: string, param: tf.Tensor) => boolean) | RegExp;

/**
 * Apply a transform to some parameters only (Optax's `masked`): the others' gradients pass
 * through unchanged, to the next transform of a chain.
 *
 *   u[name] = T(g restricted to the mask)[name] if mask(name), else g[name]
 *
 * 1. `mask` is a predicate `(name, param) => boolean` (anything else it returns throws naming
 *    the parameter) or a RegExp tested on the name.
 * 2. The state is the inner transform's state for the masked parameters only (built by its
 *    `init` on them): serialized, restored and checked as such.
 * 3. The inner transform sees `ctx` as is; its `info` and `used` are reported as they are. An
 *    update without a masked gradient leaves its state unchanged.
 *
 * @example
 * // weight decay on weights only, not on biases (PyTorch's no_decay param group)
 * const opt = chain(masked(addDecayedWeights(1e-4), (name) => !name.endsWith('b')), scaleByAdam(), scaleByLearningRate(1e-3));
 */
export function masked<S>(inner: Transform<S>, mask: ParamMask): Transform<S> {
  if (!inner || typeof inner.init !== 'function' || typeof inner.update !== 'function') throw new RxgradError('inner', 'a Transform { init, update }', inner);
  let labels: Parameters<typeof paramLabeller>[0];
  if (mask instanceof RegExp) labels = { on: mask, off: /^/ };
  else if (typeof mask === 'function') {
    labels = (name, param) => {
      const on = mask(name, param);
      if (typeof on !== 'boolean') throw new RxgradError(`mask(${name})`, 'a boolean', on);
      return on ? 'on' : 'off';
    };
  } else throw new RxgradError('mask', 'a function (name, param) => boolean, or a RegExp', mask);
  const labelOf = paramLabeller(labels, ['on', 'off'], 'mask');
  return {
    hyper: inner.hyper,
    init: (params: Tensors) => {
      if (params === null || typeof params !== 'object') throw new RxgradError('params', 'a record of tensors by name', params);
      return inner.init(groupTree(params, ['on', 'off'], labelOf).on);
    },
    update: (grads: Tensors, state: S, params?: Tensors, ctx?: UpdateContext) =>
      tf.tidy(() => {
        const { on, off } = groupTree(grads, ['on', 'off'], labelOf, (name) => params?.[name] ?? grads[name]);
        const updates: Tensors = {};
        for (const name of Object.keys(off)) updates[name] = share(off[name]);
        if (Object.keys(on).length === 0) return { updates, state } as unknown as tf.TensorContainer;
        const r = inner.update(on, state, params && groupTree(params, ['on', 'off'], labelOf).on, ctx);
        return { ...r, updates: Object.assign(updates, r.updates) } as unknown as tf.TensorContainer;
      }) as unknown as UpdateResult<S>,
  };
}
