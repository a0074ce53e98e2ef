import * as tf from '@tensorflow/tfjs';
import type { Tensors, Transform, UpdateContext, UpdateResult } from '../types';
import { RxgradError } from '../RxgradError';
import { bool, positiveInt } from '../validate';
import { checkMatches, mapTree, zerosLike } from '../tree';
import { withDefaults } from './withDefaults';

/** Options of `accumulate`. */
export interface AccumulateOptions {
  /** Hand the inner transform the mean of the k micro-batch gradients (true, Optax's default) or their sum (false). */
  readonly mean?: boolean;
}

/**
 * State of `accumulate`: the inner transform's state, the gradients summed since the last
 * update, how many micro-batches they hold (`micro`, 0 … k − 1) and how many optimizer steps
 * (inner updates) were made (`count`).
 */
export interface AccumulateState<S> {
  readonly inner: S;
  readonly acc: Tensors;
  readonly micro: number;
  readonly count: number;
}

const accumulateDefaults: Readonly<Required<AccumulateOptions>> = { mean: true };

/**
 * Gradient accumulation (Optax's `MultiSteps`): k micro-batches make one optimizer step.
 *
 *   G ← G + g_t;  every k-th call: u = inner(G/k  (sum: G)),  G ← 0;  otherwise u = 0
 *
 * 1. Micro-batches 1 … k − 1 of each group add their gradients to `acc` and return zero updates;
 *    the inner transform is not called (its state, moments and counts stay as they were).
 * 2. The k-th micro-batch calls `inner.update` once with the mean (or, `mean: false`, the sum)
 *    of the group's gradients, over every parameter `init` was given, and resets `acc` to zeros.
 * 3. **Steps.** The inner transform sees `ctx.step` = n, its own 1-based optimizer step, not the
 *    micro-batch's: a schedule given as an option (`adam({ lr: cosine(…) })`) counts optimizer
 *    steps. Hyperparameters on the step (`learningRate(s)` in a pipeline) are evaluated by the
 *    pipeline at the micro-batch's step t: give them `perOptimizerStep(k, s)`, which evaluates
 *    s at ⌈t/k⌉ = n (exact when accumulation started at step 1, as a run resumed from its
 *    checkpoint does). The value on the k-th micro-batch is the one used and reported.
 * 4. `info`: `updated` 1 on the update, else 0; `accumulated` the micro-batches in this group so
 *    far (1 … k); `optimizerStep` the inner updates made so far, this one included. On an update
 *    the inner's `info` and `used` are merged in.
 * 5. The state is plain tensors and numbers: `serializeState`, `restoreState` and run
 *    checkpoints hold it, a resumed run continues mid-group. A state whose `micro` is not an
 *    integer in [0, k) (saved with another k) fails the update naming `state.micro`.
 *
 * @example
 * const opt = accumulate(4, sgd({ lr: 0.1 }));
 * // micro-batches 1–3: zeros; micro-batch 4: −0.1·(g1 + g2 + g3 + g4)/4
 * steps.pipe(gradients(loss, params), optimize(opt), applyUpdates(params));
 */
export function accumulate<S>(k: number, inner: Transform<S>, options?: AccumulateOptions): Transform<AccumulateState<S>> {
  const every = positiveInt('k', k);
  if (!inner || typeof inner.init !== 'function' || typeof inner.update !== 'function') {
    throw new RxgradError('inner', 'a Transform { init, update }', inner);
  }
  const mean = bool('options.mean', withDefaults('accumulate', options, accumulateDefaults).mean);
  return {
    hyper: inner.hyper,
    init: (params: Tensors) => ({ inner: inner.init(params), acc: zerosLike(params), micro: 0, count: 0 }),
    update: (grads: Tensors, state: AccumulateState<S>, params?: Tensors, ctx?: UpdateContext) =>
      tf.tidy(() => {
        if (!Number.isInteger(state.micro) || state.micro < 0 || state.micro >= every) {
          throw new RxgradError('state.micro', `an integer in [0, ${every - 1}] (micro-batches held, k = ${every})`, state.micro);
        }
        checkMatches(grads, state.acc, 'grad');
        const micro = state.micro + 1;
        const acc: Tensors = { ...state.acc };
        for (const name of Object.keys(grads)) acc[name] = state.acc[name].add(grads[name]);
        if (micro < every) {
          const info = { updated: 0, accumulated: micro, optimizerStep: state.count };
          return { updates: zerosLike(grads), state: { inner: state.inner, acc, micro, count: state.count }, info } as unknown as tf.TensorContainer;
        }
        const count = state.count + 1;
        const g = mean ? mapTree(acc, (a) => a.div(every)) : acc;
        const r = inner.update(g, state.inner, params, { ...ctx, step: count });
        const result: UpdateResult<AccumulateState<S>> = {
          updates: r.updates,
          state: { inner: r.state, acc: zerosLike(acc), micro: 0, count },
          info: { ...r.info, updated: 1, accumulated: micro, optimizerStep: count },
          ...(r.used && { used: r.used }),
        };
        return result as unknown as tf.TensorContainer;
      }) as unknown as UpdateResult<AccumulateState<S>>,
  };
}
