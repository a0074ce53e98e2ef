import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform, UpdateContext, UpdateResult } from './types';
import { extend } from './extend';

/**
 * Compose transforms left to right: the updates of one are the gradients of the next.
 *
 *   u⁰ = g,  uⁱ = Tᵢ(uⁱ⁻¹),  updates = uⁿ
 *
 * 1. The state is the array of the inner states, in order.
 * 2. The whole update runs in one `tf.tidy`: intermediate updates are freed, only the final
 *    updates and the new state survive.
 * 3. `info` and `used` objects are merged, later transforms winning on equal keys.
 * 4. `hyper` is the union of the inner transforms' hyperparameter names.
 *
 * @example
 * const opt = chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate(0.01));
 * const s0 = opt.init(params);
 * const { updates, state } = opt.update(grads, s0, params);
 */
export function chain(...transforms: Transform<any>[]): Transform<unknown[]> {
  return {
    hyper: [...new Set(transforms.flatMap((t) => t.hyper))],
    init: (params: Tensors) => transforms.map((t) => t.init(params)),
    update: (grads: Tensors, state: unknown[], params?: Tensors, ctx?: UpdateContext) =>
      tf.tidy(() => {
        let updates = grads;
        let info: Record<string, number> | undefined;
        let used: Record<string, number> | undefined;
        const next: unknown[] = [];
        transforms.forEach((t, i) => {
          const r = t.update(updates, state[i], params, ctx);
          updates = r.updates;
          next.push(r.state);
          if (r.info) info = extend(info ?? {}, r.info);
          if (r.used) used = extend(used ?? {}, r.used);
        });
        return { updates, state: next, ...(info && { info }), ...(used && { used }) } as unknown as tf.TensorContainer;
      }) as unknown as UpdateResult<unknown[]>,
  };
}
