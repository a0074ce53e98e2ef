import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, take, tap, toArray } from 'rxjs';
import { accumulate, adam, disposeTree, lookahead, masked, multiTransform, perOptimizerStep, sgd, addDecayedWeights, chain, scaleByLearningRate, type Params } from '../../../src/index';
import { applyUpdates, averageParams, gradients, learningRate, minibatches, optimize, samGradients, scopeOf } from '../../../streams/index';
import { expectNoLeak } from '../../helpers';

/** y = 2x₁ − x₂ + 0.5 on 12 rows; a linear model w [2, 1], b [1]. */
const data = {
  xs: Array.from({ length: 12 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]),
  ys: Array.from({ length: 12 }, (_, i) => 2 * Math.sin(i) - Math.cos(3 * i) + 0.5),
};
const model = () => ({ w: tf.variable(tf.zeros([2, 1])), b: tf.variable(tf.zeros([1])) });
const loss = (p: Params, { xs, ys }: { xs: tf.Tensor; ys: tf.Tensor }) =>
  tf.tidy(() => tf.losses.meanSquaredError(ys.reshape([-1, 1]), xs.matMul(p.w).add(p.b))) as tf.Scalar;
const opt = () =>
  accumulate(3, multiTransform({ weights: lookahead(adam({ lr: 0.05 }), { k: 2 }), bias: chain(masked(addDecayedWeights(0.01), /^b$/), scaleByLearningRate(0.1)) }, { bias: /^b$/, weights: /^/ }));
const run = (params: Params, from = 1, state?: Record<string, unknown>) =>
  minibatches(data, { batchSize: 2, epochs: 3, shuffle: true, seed: 7, start: { step: from }, ...(state && { resume: { state } }) }).pipe(
    samGradients(loss, params, { rho: 0.05 }),
    learningRate(perOptimizerStep(3, (n) => 0.1 / n)),
    optimize(opt()),
    applyUpdates(params),
    averageParams(params, { ema: 0.9 }),
  );

describe('composed: SAM → accumulate(groups(lookahead(adam)), masked decay) → EMA', () => {
  it('resumes mid-group from the run checkpoint as if never stopped, and leaks nothing', async () => {
    const full = model();
    const cut = model();
    await expectNoLeak(async () => {
      const all = await lastValueFrom(run(full).pipe(toArray()));
      expect(all.length).toBe(18);
      expect(all.map((r) => r.info.updated)).toEqual(Array.from({ length: 18 }, (_, i) => ((i + 1) % 3 === 0 ? 1 : 0)));
      let saved: Record<string, unknown> = {};
      let w: number[] = [];
      let b: number[] = [];
      // stop after step 7: micro-batch 1 of optimizer step 3
      await lastValueFrom(run(cut).pipe(tap((r) => { saved = JSON.parse(JSON.stringify(scopeOf(r)!.save())); w = Array.from(cut.w.dataSync()); b = Array.from(cut.b.dataSync()); }), take(7), toArray()));
      expect(Object.keys(saved)).toEqual(expect.arrayContaining(['optimizer', 'average']));
      tf.tidy(() => {
        cut.w.assign(tf.tensor(w, [2, 1]));
        cut.b.assign(tf.tensor(b));
      });
      const rest = await lastValueFrom(run(cut, 8, saved).pipe(toArray()));
      expect(rest.map((r) => r.step)).toEqual(all.slice(7).map((r) => r.step));
      expect(rest.map((r) => r.loss)).toEqual(all.slice(7).map((r) => r.loss));
      expect(rest.map((r) => r.hyper)).toEqual(all.slice(7).map((r) => r.hyper));
      expect(Array.from(cut.w.dataSync())).toEqual(Array.from(full.w.dataSync()));
      expect(Array.from(cut.b.dataSync())).toEqual(Array.from(full.b.dataSync()));
    });
    disposeTree([full, cut]);
  });

  it('each group reports its hyperparameters, the run its lr per optimizer step', async () => {
    const params = model();
    const r = await lastValueFrom(run(params).pipe(take(6), toArray()));
    // perOptimizerStep(3, 0.1/n): steps 1–3 → 0.1, 4–6 → 0.05
    expect(r.map((x) => x.lr)).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05]);
    expect(r[2].hyper).toMatchObject({ 'weights.lr': 0.1, 'bias.lr': 0.1, 'bias.weightDecay': 0.01 });
    // the EMA takes in optimizer steps only (averageParams 6): step 3 is the first → count 1
    expect(r[2].info).toMatchObject({ updated: 1, 'weights.synced': 0, 'sam.rho': 0.05, 'average.count': 1 });
    expect(r[5].info['weights.synced']).toBe(1);
    disposeTree(params);
  });
});
