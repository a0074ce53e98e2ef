import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { lastValueFrom, of } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { FAST_BACKENDS, stepWork, useFastPath } from '../../src/fast/useFastPath';
import { logisticRegression } from '../../src/models/logisticRegression';
import { sgd } from '../../src/optimizers/sgd';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { exampleBatch } from '../src/models/exampleBatch';
import type { Step } from '../../streams/Step';
import type { AnyBatch } from '../../src/models/Model';

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('useFastPath', () => {
  it('counts a step as parameter values × batch rows', () => {
    // logistic regression on 3 features: w [3, 1] + b [1] = 4 values; 2 rows → 8; 5 rows → 20.
    expect(stepWork(4, exampleBatch([[1, 2, 3], [4, 5, 6]], [0, 1]))).toBe(8);
    const xs = tf.zeros([5, 3]);
    const ys = tf.zeros([5]);
    expect(stepWork(4, { xs, ys })).toBe(20);
    tf.dispose([xs, ys]);
  });

  it("takes the fast path on cpu at any size, on wasm up to FAST_BACKENDS.wasm, and obeys true/false", async () => {
    await tf.setBackend('cpu');
    expect(useFastPath('auto', 1e9)).toBe(true);
    await tf.setBackend('wasm');
    expect(useFastPath('auto', FAST_BACKENDS.wasm)).toBe(true);
    expect(useFastPath('auto', FAST_BACKENDS.wasm + 1)).toBe(false);
    expect(useFastPath(true, 1e9)).toBe(true);
    expect(useFastPath(false, 1)).toBe(false);
    await tf.setBackend('cpu');
  });

  it('on wasm, a small step through gradients gives the same loss and parameters as tfjs autodiff (to 1e-6)', async () => {
    await tf.setBackend('wasm');
    const batch = exampleBatch([[1, -2, 0.5], [0.3, 0.1, -1], [2, 1, 1]], [1, 0, 1]);
    const run = async (fast: boolean | 'auto') => {
      const model = logisticRegression(3);
      const r = await lastValueFrom(of<Step<AnyBatch>>({ step: 1, epoch: 1, batch, size: 3, examples: 3, startedAt: 0, hyper: {} }).pipe(gradients(model.loss, model.params, { fast }), optimize(sgd({ lr: 0.5 })), applyUpdates(model.params)));
      const w = Array.from(model.params.w.dataSync());
      model.dispose();
      return { loss: r.loss, w };
    };
    const auto = await run('auto');
    const autodiff = await run(false);
    expect(auto).toEqual(await run(true)); // the fast path's own numbers
    expect(auto.loss).toBeCloseTo(autodiff.loss, 6);
    auto.w.forEach((v, i) => expect(v).toBeCloseTo(autodiff.w[i], 6));
    await tf.setBackend('cpu');
  });
});
