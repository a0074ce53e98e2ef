import * as tf from '@tensorflow/tfjs';
import type { Tensors } from './types';
import { RxgradError, shown } from './RxgradError';

/**
 * Name-keyed helpers over `Record<string, tf.Tensor>`. Nothing here is positional: results are
 * always keyed by the same names as the input.
 */

/**
 * Apply `fn` to every tensor, keeping names.
 *
 * @example
 * const doubled = mapTree({ w: tf.ones([2]) }, (t) => t.mul(2));
 */
export function mapTree(tree: Tensors, fn: (t: tf.Tensor, name: string) => tf.Tensor): Tensors {
  const out: Tensors = {};
  for (const name of Object.keys(tree)) out[name] = fn(tree[name], name);
  return out;
}

/**
 * Zeros shaped like each tensor.
 *
 * @example
 * zerosLike({ w: tf.ones([2, 3]) }).w.shape; // [2, 3]
 */
export function zerosLike(tree: Tensors): Tensors {
  return mapTree(tree, (t) => tf.zerosLike(t));
}

/**
 * Global L2 norm ‖g‖ = √(Σ_name Σ_i g_name,i²), as a scalar tensor.
 *
 * @example
 * globalNorm({ a: tf.tensor([3]), b: tf.tensor([4]) }).dataSync()[0]; // 5
 */
export function globalNorm(tree: Tensors): tf.Scalar {
  return tf.tidy(() => {
    const names = Object.keys(tree);
    if (names.length === 0) return tf.scalar(0);
    return tf.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(tree[n]))))) as tf.Scalar;
  });
}

/**
 * Every tensor reachable from `value` (objects and arrays walked deeply).
 *
 * @example
 * tensorsIn({ m: { w: t1 }, count: 3, list: [t2] }); // [t1, t2]
 */
export function tensorsIn(value: unknown, out: tf.Tensor[] = []): tf.Tensor[] {
  // Typed arrays (an ExampleBatch's columns) hold numbers only: not walked element by element.
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return out;
  if (Array.isArray(value)) for (let i = 0; i < value.length; i++) tensorsIn(value[i], out);
  // `dataId` first: a cheap test that spares plain objects tfjs's `instanceof` check.
  else if ('dataId' in value && value instanceof tf.Tensor) out.push(value);
  else for (const key in value) tensorsIn((value as Record<string, unknown>)[key], out);
  return out;
}

/**
 * Dispose every tensor reachable from `value`.
 *
 * @example
 * disposeTree({ m: { w: tf.zeros([2]) } });
 */
export function disposeTree(value: unknown): void {
  for (const t of tensorsIn(value)) if (!t.isDisposed) t.dispose();
}

/**
 * Dispose the tensors of `old` that `next` no longer holds (compared by identity), so a state
 * that carries a tensor over unchanged keeps it alive.
 *
 * @example
 * const next = transform.update(grads, state, params);
 * disposeReplaced(state, next.state);
 */
export function disposeReplaced(old: unknown, next: unknown): void {
  const kept = new Set(tensorsIn(next));
  for (const t of tensorsIn(old)) if (!kept.has(t) && !t.isDisposed) t.dispose();
}

/**
 * Check that `grads` and `params` agree: every gradient names a known parameter and has its
 * shape. Throws an `RxgradError` naming the parameter and both shapes.
 *
 * @example
 * checkMatches({ w: g }, { w: p }); // throws if g.shape ≠ p.shape
 */
export function checkMatches(grads: Tensors, params: Tensors, what = 'gradient'): void {
  for (const name of Object.keys(grads)) {
    const p = params[name];
    if (p === undefined) {
      throw new RxgradError(`${what}s.${name}`, `to name a parameter (one of ${Object.keys(params).join(', ') || 'none'})`, shown(`unknown parameter \`${name}\``));
    }
    checkShape(grads[name], p, name, what);
  }
}

/**
 * Check that `t` (the `what` of parameter `name`) is a tensor shaped like `ref`. Throws an
 * `RxgradError` on field `${what}s.${name}` naming both shapes.
 *
 * @example
 * checkShape(g, p, 'w', 'grad'); // throws "Expected `grads.w` shape [2] (the parameter's), got shape [3]" if g is [3]
 */
export function checkShape(t: unknown, ref: tf.Tensor, name: string, what = 'gradient'): void {
  if (!(t instanceof tf.Tensor)) throw new RxgradError(`${what}s.${name}`, 'a tensor', t);
  if (!tf.util.arraysEqual(t.shape, ref.shape)) {
    throw new RxgradError(`${what}s.${name}`, `shape [${ref.shape.join(', ')}] (the parameter's)`, shown(`shape [${t.shape.join(', ')}]`));
  }
}
