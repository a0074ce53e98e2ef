import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, map, of, toArray } from 'rxjs';
import { sgd } from '../../src/optimizers/sgd';
import { backgroundModel } from '../../streams/operators/backgroundModel';
import { detectDrift } from '../../streams/operators/detectDrift';
import { RunScope } from '../../streams/RunScope';
import { disposeStep, type Step } from '../../streams/Step';
import { threshold } from './thresholdDetector';
import { expectNoLeak, marbles, tinyProblem, tinyStep } from '../helpers';


/** A tiny-problem step (xs [[1, 2]], ys [[1]]) whose one example has error `error`. */
const errorStep = (t: number, error: number, scope?: RunScope): Step => ({
  ...tinyStep(t),
  scope,
  predictions: { n: 1, yHat: new Float32Array(1), error: Float32Array.from([error]) },
});

/** The model's w after each step, through detectDrift → backgroundModel (no main training). */
async function wAfter(errors: number[], p: ReturnType<typeof tinyProblem>, options = {}, scope?: RunScope, from = 1): Promise<number[][]> {
  const steps = await lastValueFrom(
    of(...errors).pipe(
      map((e, i) => errorStep(from + i, e, scope)),
      detectDrift(threshold()),
      backgroundModel(p.loss, p.params, sgd({ lr: 0.1 }), options),
      map((s) => {
        disposeStep(s);
        return Array.from(p.params.w.dataSync());
      }),
      toArray(),
    ),
  );
  return steps;
}

// Tiny problem: loss = (x·w − 1)² with x = [1, 2]; ∂loss/∂w = 2·(x·w − 1)·x.
// Background model B from zeros: r = −1, g = [−2, −4]; sgd lr 0.1: B = [0.2, 0.4] (then r = 0: B stays).
describe('backgroundModel', () => {
  it('learns while the detector warns and replaces the model at the drift (River: model ← background)', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      // steps: none, warning (B learns), warning (B: r = 0, stays), drift (w ← B = [0.2, 0.4]; B ← zeros)
      const ws = await wAfter([0, 6, 6, 12], p);
      expect(ws[0]).toEqual([0.5, -0.5]);
      expect(ws[2]).toEqual([0.5, -0.5]);
      expect(ws[3][0]).toBeCloseTo(0.2, 6);
      expect(ws[3][1]).toBeCloseTo(0.4, 6);
    });
    p.dispose();
  });

  it('a drift without a warning restarts the model from fresh values (zeros, or `fresh`)', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      expect((await wAfter([0, 12], p))[1]).toEqual([0, 0]);
      expect((await wAfter([12], p, { fresh: () => ({ w: tf.ones([2, 1]) }) }))[0]).toEqual([1, 1]);
    });
    p.dispose();
  });

  it('checkpoints the background model: a resumed run switches to the same values', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const first = new RunScope();
      await wAfter([0, 6], p, {}, first);
      const checkpoint = JSON.parse(JSON.stringify(first.save()));
      expect(checkpoint.background.params.state.w.values[0]).toBeCloseTo(0.2, 6);
      expect(checkpoint.background.optimizer).not.toBeNull();
      tf.tidy(() => p.params.w.assign(tf.tensor2d([[0.5], [-0.5]])));
      const ws = await wAfter([12], p, {}, new RunScope(checkpoint), 3);
      expect(ws[0][0]).toBeCloseTo(0.2, 6);
      expect(ws[0][1]).toBeCloseTo(0.4, 6);
    });
    p.dispose();
  });

  it('passes steps on, completes and unsubscribes with its source', () => {
    const p = tinyProblem();
    const plain = (t: number): Step<null> => ({ step: t, epoch: 1, batch: null, size: 1, examples: t, startedAt: 0, hyper: {}, online: { driftEvents: [], driftWarnings: 0 } });
    marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
      const steps = cold('-a-b-|', { a: plain(1), b: plain(2) });
      expectObservable(steps.pipe(backgroundModel(p.loss as never, p.params, sgd({ lr: 0.1 })), map((s) => s.step))).toBe('-x-y-|', { x: 1, y: 2 });
      expectSubscriptions(steps.subscriptions).toBe('^----!');
      const more = cold('-a-b-|', { a: plain(1), b: plain(2) });
      expectObservable(more.pipe(backgroundModel(p.loss as never, p.params, sgd({ lr: 0.1 })), map((s) => s.step)), '^--!').toBe('-x-', { x: 1 });
      expectSubscriptions(more.subscriptions).toBe('^--!');
    });
    p.dispose();
  });

  it('fails the run without drift detection before it, and on bad arguments, naming the field; leaks nothing', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      await expect(lastValueFrom(of(tinyStep(1)).pipe(backgroundModel(p.loss, p.params, sgd({ lr: 0.1 }))))).rejects.toThrow(
        'Expected `step.online.driftEvents` drift detection before backgroundModel (put detectDrift() before it), got none at step 1',
      );
      await expect(wAfter([12], p, { fresh: () => ({ w: tf.ones([3]) }) })).rejects.toThrow('Expected `fresh(params).w` a tensor of shape [2, 1], got a tensor of shape [3]');
      // a run unsubscribed while in a warning zone frees its background model
      const source = new Subject<Step>();
      const sub = source.pipe(detectDrift(threshold()), backgroundModel(p.loss, p.params, sgd({ lr: 0.1 }))).subscribe(disposeStep);
      source.next(errorStep(1, 6));
      sub.unsubscribe();
    });
    expect(() => backgroundModel(p.loss, {}, sgd({ lr: 0.1 }))).toThrow('Expected `params` a non-empty record of tf.Variable, got {}');
    expect(() => backgroundModel(p.loss, p.params, {} as never)).toThrow('Expected `transform` a Transform { init, update }, got {}');
    expect(() => backgroundModel(p.loss, p.params, sgd({ lr: 0.1 }), { key: '' })).toThrow('Expected `key` a non-empty checkpoint key, got ""');
    p.dispose();
  });
});
