import * as tf from '@tensorflow/tfjs';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import type { Metric } from '../../../src/metrics/Metric';
import type { Baseline } from '../../../src/metrics/Baseline';
import type { Model } from '../../../src/models/Model';
import type { RunScope } from '../../../streams/RunScope';
import type { Step } from '../../../streams/Step';

/** One example of a test step: one feature `x` (default 0), its label (NaN: unlabelled), id and time. */
export interface Row {
  readonly x?: number;
  readonly y: number;
  readonly id?: string | number;
  readonly t?: number;
}

/** A step of one-feature examples. */
export function stepOf(step: number, rows: readonly Row[], scope?: RunScope): Step<ExampleBatch> {
  return {
    step,
    epoch: 1,
    batch: {
      n: rows.length,
      d: 1,
      x: Float32Array.from(rows, (r) => r.x ?? 0),
      y: Float32Array.from(rows, (r) => r.y),
      ids: rows.map((r) => r.id),
      times: Float64Array.from(rows, (r) => r.t ?? 0),
    },
    size: rows.length,
    examples: step,
    startedAt: 0,
    hyper: {},
    ...(scope && { scope }),
  };
}

/**
 * A binary model that predicts P(y = 1) = m whatever the features, with `m` one variable; the
 * tests make it "learn" by setting m to the last label of each learned batch (`learn`), so it
 * would score 100 % if it learned an example before predicting it.
 */
export function memorizer(): Model & { learn(batch: ExampleBatch): void; readonly m: tf.Variable } {
  const m = tf.variable(tf.scalar(0));
  return {
    task: 'binary',
    outputs: 2,
    features: 1,
    params: { m },
    m,
    loss: () => {
      throw new Error('not trained by gradients');
    },
    predict: () => {
      throw new Error('unused');
    },
    scoreRows: (p, batch, out) => {
      const v = p.m.dataSync()[0];
      for (let i = 0; i < batch.n; i++) {
        out[2 * i] = 1 - v;
        out[2 * i + 1] = v;
      }
    },
    learn: (batch) => m.assign(tf.scalar(batch.y[batch.n - 1])),
    dispose: () => m.dispose(),
  };
}

/** Accuracy as a stand-in state machine: correct / seen. */
export const hits: Metric<{ c: number; n: number }> = {
  name: 'hits',
  bigger: true,
  needsProba: false,
  init: () => ({ c: 0, n: 0 }),
  update: (s, y, yHat) => {
    s.n++;
    if (y === yHat) s.c++;
  },
  get: (s) => (s.n === 0 ? NaN : s.c / s.n),
};

/** The sum of the probabilities given to the true class, and of the times: shows what a metric receives. */
export const probaSum: Metric<{ p: number; t: number }> = {
  name: 'probaSum',
  bigger: true,
  needsProba: true,
  init: () => ({ p: 0, t: 0 }),
  update: (s, y, _yHat, proba, time) => {
    s.p += proba![y];
    s.t += time;
  },
  get: (s) => s.p,
};

/** The previous label (0 before any), as a stand-in baseline. */
export const previous: Baseline<{ last: number }> = {
  name: 'previous',
  init: () => ({ last: 0 }),
  predict: (s) => s.last,
  learn: (s, y) => {
    s.last = y;
  },
};
