import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { disposeReplaced, disposeTree, type Tensors, type Transform } from '../../src/index';

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

export type { Tensors };
