import * as tf from '@tensorflow/tfjs';
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  adamw,
  disposeReplaced,
  disposeTree,
  rmsprop,
  sgd,
  type FusedMode,
  type Tensors,
  type Transform,
  type UpdateContext,
} from '../../src/index';
import { mulberry32 } from '../../streams/sources/mulberry32';

/**
 * Every optimizer with a fused kernel, in configurations that exercise every branch of the
 * kernels (weight decay, lazy momentum buffers, dampening, nesterov, lr decay, ε inside the
 * root, centring, AMSGrad, decoupled decay), built in the given `fused` mode.
 */
export const FUSED_CONFIGS: Record<string, (fused: FusedMode) => Transform<any>> = {
  sgd: (fused) => sgd({ lr: 0.1, fused }),
  'sgd momentum + dampening': (fused) => sgd({ lr: 0.1, momentum: 0.9, dampening: 0.5, fused }),
  'sgd nesterov + weight decay': (fused) => sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01, fused }),
  'adagrad lrDecay + initial accumulator + weight decay': (fused) =>
    adagrad({ lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 0.01, fused }),
  'adagrad (book)': (fused) => adagrad({ lr: 0.4, eps: 1e-6, epsInSqrt: true, fused }),
  rmsprop: (fused) => rmsprop({ lr: 0.01, fused }),
  'rmsprop centered + momentum + weight decay': (fused) => rmsprop({ lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01, fused }),
  'rmsprop (book) + momentum': (fused) => rmsprop({ lr: 0.01, alpha: 0.9, eps: 1e-6, epsInSqrt: true, momentum: 0.9, fused }),
  'adadelta + weight decay': (fused) => adadelta({ weightDecay: 0.01, fused }),
  adam: (fused) => adam({ lr: 0.01, fused }),
  'adam amsgrad + weight decay': (fused) => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1, fused }),
  'adamw amsgrad': (fused) => adamw({ lr: 0.01, amsgrad: true, fused }),
  'adamax + weight decay': (fused) => adamax({ lr: 0.01, weightDecay: 0.01, fused }),
};

/** Three parameters of different shapes (a matrix, a vector, a rank-3 tensor), seeded. */
export function randomParams(seed = 1): Tensors {
  return tf.tidy(() => ({
    a: tf.randomNormal([3, 4], 0, 1, 'float32', seed),
    b: tf.randomNormal([7], 0, 1, 'float32', seed + 1),
    c: tf.randomNormal([2, 2, 2], 0, 1, 'float32', seed + 2),
  }));
}

/** A seeded stream of gradients shaped like `params`, with scales spread over four decades. */
export function randomGrads(params: Tensors, seed = 7): (t: number) => Tensors {
  const rand = mulberry32(seed);
  return () => {
    const out: Tensors = {};
    for (const [name, p] of Object.entries(params)) {
      const scale = 10 ** (rand() * 4 - 2);
      out[name] = tf.tensor(Array.from({ length: p.size }, () => (rand() * 2 - 1) * scale), p.shape);
    }
    return out;
  };
}

/**
 * `grads` (from `randomParams`' a, b, c) with b left out at every fifth step: updates of a subset
 * of the parameters, whose state the others carry over.
 *
 * @example
 * const g = withSubsets(randomGrads(params));
 * Object.keys(g(5)); // ['a', 'c']
 */
export function withSubsets(grads: (t: number) => Tensors): (t: number) => Tensors {
  return (t) => {
    const g = grads(t);
    if (t % 5 !== 0) return g;
    tf.dispose(g.b);
    return { a: g.a, c: g.c };
  };
}

/** What one run records at every step: the parameters after the update and the values used. */
export interface Run {
  readonly xs: Record<string, number[]>[];
  readonly used: (Record<string, number> | undefined)[];
}

/**
 * Run `steps` updates from `params` (copied), x_t = x_{t-1} + u_t, taking the transform of each
 * step from `pick(t)` (so that paths can be alternated on one state), the caller's way: superseded
 * state freed. Leaves no tensor behind.
 */
export function run(
  pick: (t: number) => Transform<any>,
  params: Tensors,
  grads: (t: number) => Tensors,
  steps: number,
  ctx: (t: number) => UpdateContext = (t) => ({ step: t }),
): Run {
  let x: Tensors = Object.fromEntries(Object.entries(params).map(([n, p]) => [n, p.clone()]));
  let state = pick(1).init(x);
  const out: Run = { xs: [], used: [] };
  for (let t = 1; t <= steps; t++) {
    const g = grads(t);
    const r = pick(t).update(g, state, x, ctx(t));
    disposeReplaced(state, r.state);
    state = r.state;
    const next = tf.tidy(() => Object.fromEntries(Object.entries(x).map(([n, p]) => [n, r.updates[n] ? p.add(r.updates[n]) : p.clone()])));
    disposeTree([g, r.updates, x]);
    x = next;
    out.xs.push(Object.fromEntries(Object.entries(x).map(([n, p]) => [n, Array.from(p.dataSync())])));
    out.used.push(r.used as Record<string, number> | undefined);
  }
  disposeTree([state, x]);
  return out;
}
