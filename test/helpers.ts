import * as tf from '@tensorflow/tfjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type { Params } from '../src/types';
import type { Batch, Step } from '../streams/Step';

/** A TestScheduler whose assertions use vitest's deep equality. */
export function marbles(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/**
 * A tiny least-squares problem: loss = mean((x·w − y)²) over one batch with xs [[1, 2]],
 * ys [[1]], w starting at [[0.5], [−0.5]].
 *   prediction = 1·0.5 + 2·(−0.5) = −0.5, residual r = −1.5, loss = r² = 2.25
 *   ∂loss/∂w = 2·r·x = [−3, −6]
 */
export function tinyProblem(): { params: Params; loss: (p: Params, b: Batch) => tf.Scalar; dispose: () => void } {
  const w = tf.variable(tf.tensor2d([[0.5], [-0.5]]));
  return {
    params: { w },
    loss: (p, { xs, ys }) => tf.tidy(() => tf.mean(tf.square(tf.sub(tf.matMul(xs as tf.Tensor2D, p.w as tf.Tensor2D), ys)))) as tf.Scalar,
    dispose: () => w.dispose(),
  };
}

/** A fresh step of the tiny problem (owning new batch tensors). */
export function tinyStep(step: number, epoch = 1): Step<Batch> {
  return {
    step,
    epoch,
    batch: { xs: tf.tensor2d([[1, 2]]), ys: tf.tensor2d([[1]]) },
    size: 1,
    examples: step,
    startedAt: performance.now(),
    hyper: {},
  };
}

/** Run `fn` and assert that the number of live tensors is the same afterwards. */
export async function expectNoLeak(fn: () => unknown | Promise<unknown>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  expect(tf.memory().numTensors).toBe(before);
}

/**
 * Wait until `check()` holds — polling every 20 ms, failing after `ms` (default 10 s): what a test
 * waits for under a loaded machine, instead of a fixed sleep.
 */
export async function until(check: () => Promise<boolean> | boolean, ms = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting (${ms} ms)`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
