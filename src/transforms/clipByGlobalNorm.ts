import * as tf from '@tensorflow/tfjs';
import type { HyperValue, Tensors, Transform, UpdateContext } from '../types';
import { globalNorm, mapTree } from '../tree';
import { hyperparameters } from './hyperparameters';
import { share } from '../share';

/** State of `clipByGlobalNorm`: how many updates it has made (for a schedule used without a pipeline). */
export interface ClipByGlobalNormState {
  readonly count: number;
}

/**
 * Rescale the updates when their global L2 norm exceeds `maxNorm` (PyTorch's
 * `clip_grad_norm_`):
 *
 *   c = maxNorm / (‖g‖ + 1e-6),   u_t = c·g_t if c < 1, else g_t,   ‖g‖ = √(Σ_name Σ_i g²)
 *
 * 1. The norm is taken over the gradients given (a subset clips by the subset's norm).
 * 2. `maxNorm` (> 0) accepts a number or a schedule and is overridden by `ctx.hyper`.
 * 3. Reports `info.clipped` = 1 when it rescaled, else 0 (reading the norm back once per update).
 * 4. A non-finite norm leaves the updates as they are (see `skipNonFinite`).
 *
 * @example
 * const t = clipByGlobalNorm(1);
 * const { updates, info } = t.update({ a: tf.tensor([3]), b: tf.tensor([4]) }, t.init({}));
 * // ‖g‖ = 5: a ≈ [0.6], b ≈ [0.8], info.clipped = 1
 */
export function clipByGlobalNorm(maxNorm: HyperValue): Transform<ClipByGlobalNormState> {
  const hp = hyperparameters({ maxNorm: [maxNorm, { min: 0, minOpen: true }] });
  return {
    hyper: hp.names,
    init: () => ({ count: 0 }),
    update: (grads: Tensors, state: ClipByGlobalNormState, _params?: Tensors, ctx?: UpdateContext) => {
      const count = state.count + 1;
      const used = hp.resolve(ctx, count);
      return tf.tidy(() => {
        const c = used.maxNorm / (globalNorm(grads).dataSync()[0] + 1e-6);
        const clipped = c < 1;
        return {
          updates: mapTree(grads, (g) => (clipped ? g.mul(c) : share(g))),
          state: { count },
          info: { clipped: clipped ? 1 : 0 },
          used,
        };
      });
    },
  };
}
