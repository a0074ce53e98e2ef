import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, take, toArray } from 'rxjs';
import { addUpdates, disposeReplaced, disposeTree, type Transform } from '../../src/index';
import { linearRegression } from '../../src/models/linearRegression';
import { airfoil } from '../../streams/sources/airfoil';
import { minibatches } from '../../streams/sources/minibatches';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { expectNoLeak } from '../helpers';
import { FUSED_CONFIGS, randomGrads, randomParams } from './configs';

describe('the fused path leaks nothing', () => {
  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    it(`${name}: tf.memory().numTensors stays flat over 300 fused updates (subsets included) and returns to its start`, () => {
      const params = randomParams();
      const grads = randomGrads(params);
      const start = tf.memory().numTensors;
      const opt = make(true);
      let state = opt.init(params);
      let flat = 0;
      for (let t = 1; t <= 300; t++) {
        const g = grads(t);
        const r = opt.update(t % 7 === 0 ? { a: g.a } : g, state, params, { step: t });
        disposeReplaced(state, r.state);
        disposeTree([g, r.updates]);
        state = r.state;
        if (t === 2) flat = tf.memory().numTensors; // lazy momentum buffers exist from step 1
        if (t > 2) expect(tf.memory().numTensors).toBe(flat);
      }
      disposeTree(state);
      expect(tf.memory().numTensors).toBe(start);
      disposeTree(params);
    });
  }

  it('addUpdates leaves only the new parameter values (the old ones are freed)', () => {
    const params = { w: tf.variable(tf.ones([3, 2])), b: tf.variable(tf.zeros([2])) };
    const updates = { w: tf.fill([3, 2], 0.5), b: tf.tensor1d([1, -1]) };
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) addUpdates(params, updates);
    expect(tf.memory().numTensors).toBe(before);
    expect(Array.from(params.b.dataSync())).toEqual([50, -50]);
    disposeTree([params, updates]);
  });
});

describe('a pipeline with a fused optimizer keeps tf.memory().numTensors flat', () => {
  const data = airfoil();
  const pipelines: [string, () => Transform<any>][] = [
    ['sgd momentum', FUSED_CONFIGS['sgd momentum + dampening'].bind(null, true)],
    ['rmsprop centered', FUSED_CONFIGS['rmsprop centered + momentum + weight decay'].bind(null, true)],
    ['adam amsgrad', FUSED_CONFIGS['adam amsgrad + weight decay'].bind(null, true)],
  ];
  const run = (opt: Transform<any>, failAt = 0) => {
    const model = linearRegression(5, { seed: 1 });
    let calls = 0;
    const loss: typeof model.loss = (p, b) => {
      if (++calls === failAt) throw new Error(`loss failed at step ${calls}`);
      return model.loss(p, b);
    };
    return { model, steps: minibatches(data, { batchSize: 10, shuffle: true, seed: 1 }).pipe(gradients(loss, model.params), optimize(opt), applyUpdates(model.params)) };
  };
  for (const [name, make] of pipelines) {
    it(`${name}: after it completes, errors midway and is unsubscribed early`, async () => {
      await expectNoLeak(async () => {
        const { model, steps } = run(make());
        const rs = await lastValueFrom(steps.pipe(toArray()));
        expect(rs).toHaveLength(150);
        expect(rs.every((r) => Number.isFinite(r.loss) && r.updateNorm > 0)).toBe(true);
        model.dispose();
      });
      await expectNoLeak(async () => {
        const { model, steps } = run(make(), 40);
        await expect(lastValueFrom(steps)).rejects.toThrow('loss failed at step 40');
        model.dispose();
      });
      await expectNoLeak(async () => {
        const { model, steps } = run(make());
        expect(await lastValueFrom(steps.pipe(take(17), toArray()))).toHaveLength(17);
        model.dispose();
      });
    });
  }
});
