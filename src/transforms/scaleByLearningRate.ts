import * as tf from '@tensorflow/tfjs';
import type { HyperValue, Tensors, Transform, UpdateContext } from '../types';
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
export function scaleByLearningRate(lr: HyperValue = 1e-3): Transform<ScaleByLearningRateState> {
  const option = hyperOption('lr', lr, LR);
  return {
    hyper: ['lr'],
    init: () => ({ count: 0 }),
    update: (grads: Tensors, state: ScaleByLearningRateState, _params?: Tensors, ctx?: UpdateContext) => {
      const count = state.count + 1;
      const eta = resolveHyper('lr', option, ctx, count, LR);
      return { updates: tf.tidy(() => mapTree(grads, (g) => g.mul(-eta))), state: { count }, used: { lr: eta } };
    },
  };
}
