import * as tf from '@tensorflow/tfjs';
import type { HyperValue, Tensors, UpdateContext } from '../types';
import type { PlannedTransform, UpdatePlan } from './PlannedTransform';
import { hyperOption, resolveHyper } from '../resolveHyper';
import { mapTree } from '../tree';

/** State of `scaleByLearningRate`: how many updates it has made (for schedules used without a pipeline). */
export interface ScaleByLearningRateState {
  readonly count: number;
}

const LR = { min: 0 } as const;

/**
 * Scale by the negative learning rate, turning a descent direction into an additive update:
 *
 *   u_t = −η_t · g_t
 *
 * η_t is `ctx.hyper.lr` when the pipeline supplies one, else `lr` (a number, or a schedule of
 * the step).
 *
 * @example
 * const t = scaleByLearningRate(0.1);
 * const { updates } = t.update({ w: tf.tensor([2]) }, t.init({ w: tf.tensor([0]) })); // w: [-0.2]
 */
export function scaleByLearningRate(lr: HyperValue = 1e-3): PlannedTransform<ScaleByLearningRateState> {
  const option = hyperOption('lr', lr, LR);
  // The previous update's `hyper`, given again while η is the same (no new record per step), and
  // the `ctx.hyper` record it came from when `lr` is a number (η then depends on that record alone).
  let last: { readonly lr: number } | undefined;
  const unseen = {};
  let seen: unknown = unseen;
  const plan = (_grads: Tensors, state: ScaleByLearningRateState, _params?: Tensors, ctx?: UpdateContext): UpdatePlan => {
    const count = state.count + 1;
    const source = ctx?.hyper;
    if (typeof option === 'number' && last !== undefined && source === seen) return { count, hyper: last };
    // A number option was checked at construction.
    const lr = typeof option === 'number' && source?.lr === undefined ? option : resolveHyper('lr', option, ctx, count, LR);
    seen = typeof option === 'number' ? source : unseen;
    return { count, hyper: last !== undefined && Object.is(last.lr, lr) ? last : (last = { lr }) };
  };
  return {
    hyper: ['lr'],
    init: () => ({ count: 0 }),
    plan,
    replan: (_previous, grads, state, params, ctx) => plan(grads, state, params, ctx),
    advance: (_state, p) => ({ count: p.count }),
    advanceInPlace: (state, p) => {
      (state as { count: number }).count = p.count;
      return state;
    },
    // η depends on `ctx.hyper` alone when `lr` is a number (see `PlannedTransform`, 6).
    counters: (state) => (typeof option === 'number' ? [state as { count: number }] : undefined),
    update: (grads: Tensors, state: ScaleByLearningRateState, params?: Tensors, ctx?: UpdateContext) => {
      const p = plan(grads, state, params, ctx);
      return { updates: tf.tidy(() => mapTree(grads, (g) => g.mul(-p.hyper.lr))), state: { count: p.count }, used: p.hyper };
    },
  };
}
