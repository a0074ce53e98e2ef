import * as tf from '@tensorflow/tfjs';
import type { Params, Tensors } from './types';
import { globalNorm, mapTree } from './tree';
import { valueAndGrads } from './valueAndGrads';
import { withValues } from './withValues';

/**
 * Sharpness-aware gradients (SAM, Foret, Kleinberg, Mobahi & Neyshabur, 2021): the gradient at
 * the worst nearby point of a ρ-ball, to first order.
 *
 *   (L, g) = (L(x), ∇L(x)),   ε = ρ·g/(‖g‖ + 1e-12),   g_SAM = ∇L(x + ε)
 *
 * 1. Two loss evaluations: at x (its value is the one returned) and at x + ε (its gradient is
 *    returned). ‖g‖ is the global L2 norm over every parameter (the paper's and the reference
 *    implementation's; 1e-12 as in `davda54/sam`).
 * 2. The parameters hold x + ε during the second evaluation only (`withValues`), and get their
 *    exact former values back (bit for bit) also when the second evaluation throws.
 * 3. Every intermediate tensor is freed; the caller owns `value` and `grads`.
 *
 * @example
 * const { value, grads } = samGrads(() => tf.sum(tf.square(params.w)).mul(0.5), params, 0.05);
 */
export function samGrads(f: () => tf.Scalar, params: Params, rho: number): { value: tf.Scalar; grads: Tensors } {
  const first = valueAndGrads(f, params);
  try {
    const perturbed = tf.tidy(() => {
      const scale = tf.div(rho, globalNorm(first.grads).add(1e-12));
      return mapTree(first.grads, (g, n) => params[n].add(g.mul(scale)));
    });
    try {
      const second = withValues(params, perturbed, () => valueAndGrads(f, params));
      second.value.dispose();
      return { value: first.value, grads: second.grads };
    } finally {
      tf.dispose(Object.values(perturbed));
    }
  } catch (err) {
    first.value.dispose();
    throw err;
  } finally {
    tf.dispose(Object.values(first.grads));
  }
}
