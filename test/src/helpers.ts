import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  adamw,
  chain,
  clipByGlobalNorm,
  clipByValue,
  disposeReplaced,
  disposeTree,
  nadam,
  radam,
  rmsprop,
  sgd,
  skipNonFinite,
  type Tensors,
  type Transform,
} from '../../src/index';

/** |a − r| ≤ atol + rtol·|r| for every coordinate (float32 result against a float64 reference). */
export function expectClose(actual: ArrayLike<number>, reference: ArrayLike<number>, label: string, rtol = 1e-5, atol = 1e-6): void {
  expect(actual.length, label).toBe(reference.length);
  for (let i = 0; i < reference.length; i++) {
    const err = Math.abs(actual[i] - reference[i]);
    if (!(err <= atol + rtol * Math.abs(reference[i]))) {
      expect.fail(`${label}[${i}]: got ${actual[i]}, reference ${reference[i]} (|diff| ${err} > ${atol} + ${rtol}·|ref|)`);
    }
  }
}

/**
 * Run `transform` on one parameter `x` from `x0`, feeding `grad(x, step)` each step, the way a
 * caller owns everything: x_t = x_{t-1} + u_t, superseded state freed. Returns x after each step.
 */
export function trajectory(transform: Transform<any>, x0: number[] | number[][], steps: number, grad: (x: tf.Tensor, step: number) => tf.Tensor): number[][] {
  let x: tf.Tensor = tf.tensor(x0);
  let state = transform.init({ x });
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    const g = grad(x, t);
    const r = transform.update({ x: g }, state, { x });
    disposeReplaced(state, r.state);
    state = r.state;
    const next = x.add(r.updates.x);
    disposeTree([g, r.updates, x]);
    x = next;
    out.push(Array.from(x.dataSync()));
  }
  disposeTree([state, x]);
  return out;
}

/** Raw bits of a tensor's float32 values, for bit-exact comparisons. */
export function bits(t: tf.Tensor): number[] {
  return Array.from(new Uint32Array(Float32Array.from(t.dataSync() as Float32Array).buffer));
}

/**
 * Every optimizer, in configurations that exercise every kind of state (lazy momentum buffers,
 * AMSGrad maxima, centred averages, NAdam's μ product), plus the wrappers.
 */
export const OPTIMIZERS: Record<string, () => Transform<any>> = {
  sgd: () => sgd({ lr: 0.1 }),
  'sgd nesterov + weight decay': () => sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  'sgd dampening': () => sgd({ lr: 0.1, momentum: 0.9, dampening: 0.5 }),
  adagrad: () => adagrad({ lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }),
  'adagrad (book)': () => adagrad({ lr: 0.4, eps: 1e-6, epsInSqrt: true }),
  'rmsprop centered + momentum': () => rmsprop({ lr: 0.01, centered: true, momentum: 0.5, weightDecay: 0.01 }),
  'rmsprop (book)': () => rmsprop({ lr: 0.4, alpha: 0.9, eps: 1e-6, epsInSqrt: true }),
  adadelta: () => adadelta({ weightDecay: 0.01 }),
  'adam amsgrad + weight decay': () => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1 }),
  adamw: () => adamw({ lr: 0.01 }),
  adamax: () => adamax({ weightDecay: 0.01 }),
  nadam: () => nadam({ weightDecay: 0.01 }),
  'nadam decoupled': () => nadam({ weightDecay: 0.01, decoupledWeightDecay: true }),
  radam: () => radam({ weightDecay: 0.01 }),
  'radam decoupled': () => radam({ weightDecay: 0.01, decoupledWeightDecay: true }),
  'skipNonFinite(adam)': () => skipNonFinite(adam({ lr: 0.01 })),
  'clip chain': () => chain(clipByGlobalNorm(1), clipByValue(-0.5, 0.5), adam({ lr: 0.01 })),
};

/** Two parameters of different shapes and a deterministic gradient for each at step t. */
export function problem(): { params: Tensors; grads: (t: number) => Tensors } {
  const params = { a: tf.tensor2d([[0.5, -1, 2], [1.5, 0.1, -0.3]]), b: tf.tensor1d([1, -2, 3, -4]) };
  const grads = (t: number): Tensors =>
    tf.tidy(() => ({ a: tf.sin(params.a.add(t)).mul(2), b: tf.cos(params.b.mul(t)).sub(0.3) }));
  return { params, grads };
}

/** Run `steps` updates from init on the shared problem, the caller disposing superseded state. */
export function advance(opt: Transform<any>, params: Tensors, grads: (t: number) => Tensors, steps: number): any {
  let state = opt.init(params);
  for (let t = 1; t <= steps; t++) {
    const g = grads(t);
    const r = opt.update(g, state, params);
    disposeReplaced(state, r.state);
    disposeTree([g, r.updates]);
    state = r.state;
  }
  return state;
}

export type { Tensors };
