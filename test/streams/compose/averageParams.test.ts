import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, map, of, take, tap, toArray } from 'rxjs';
import { disposeTree, sgd, type Params } from '../../../src/index';
import { applyUpdates, averageParams, gradients, minibatches, optimize, scopeOf, type Batch, type Step, type StepResult } from '../../../streams/index';
import { expectNoLeak, marbles } from '../../helpers';

/** L = ½(w − 1)² per step (batch ignored): g = w − 1; sgd(lr 0.5): w_t = w − 0.5(w − 1). From w₀ = 0: 0.5, 0.75, 0.875, … */
const pull = (p: Params) => tf.tidy(() => tf.sum(tf.square(p.w.sub(1))).mul(0.5)) as tf.Scalar;
const step = (k: number): Step<Batch> => ({ step: k, epoch: 1, batch: { xs: tf.zeros([1]), ys: tf.zeros([1]) }, size: 1, examples: k, startedAt: 0, hyper: {} });
const train = (params: Params) => [gradients(pull, params), optimize(sgd({ lr: 0.5 })), applyUpdates(params)] as const;

describe('averageParams', () => {
  it('swa from step 2: evaluation on the average, training untouched', async () => {
    const params = { w: tf.variable(tf.tensor([0])) };
    await expectNoLeak(async () => {
      const seen: number[] = [];
      const results = await lastValueFrom(
        of(1, 2, 3).pipe(
          map(step),
          ...train(params),
          averageParams(params, { swa: { start: 2 }, evaluate: { name: 'avgW', fn: () => params.w.dataSync()[0], everyExamples: 1 }, onAverage: (a) => seen.push(a.w.dataSync()[0]) }),
          tap(() => seen.push(params.w.dataSync()[0])),
          toArray(),
        ),
      );
      // w: 0.5, 0.75, 0.875. Average: step 1 none (w itself 0.5); step 2: 0.75; step 3: (0.75 + 0.875)/2 = 0.8125
      expect(results.map((r) => r.info.avgW)).toEqual([0.5, 0.75, 0.8125]);
      expect(results.map((r) => r.info['average.count'])).toEqual([0, 1, 2]);
      // onAverage, then the training value seen downstream: unchanged by the evaluation
      expect(seen).toEqual([0.5, 0.5, 0.75, 0.75, 0.8125, 0.875]);
    });
    disposeTree(params);
  });

  it('ema 0.5 (debiased): 0.5, then (0.5·0.25 + 0.5·0.75)/(1 − 0.25)', async () => {
    const params = { w: tf.variable(tf.tensor([0])) };
    const r = await lastValueFrom(of(1, 2).pipe(map(step), ...train(params), averageParams(params, { ema: 0.5, evaluate: { name: 'ema', fn: () => params.w.dataSync()[0], everyExamples: 1 } }), toArray()));
    // a₁ = 0.5·0.5 = 0.25 → 0.25/0.5 = 0.5; a₂ = 0.125 + 0.375 = 0.5 → 0.5/0.75 = 2/3
    expect(r.map((x) => x.info.ema)).toEqual([0.5, expect.closeTo(2 / 3, 6)]);
    disposeTree(params);
  });

  it('marbles: values and lifetimes; early unsubscribe and errors free the average', async () => {
    const params = { w: tf.variable(tf.tensor([0])) };
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
        const out = src.pipe(map(step), ...train(params), averageParams(params, { ema: 0.9 }), map((r: StepResult) => r.info['average.count']));
        expectObservable(out).toBe('-a-b-c-|', { a: 1, b: 2, c: 3 });
        expectSubscriptions(src.subscriptions).toBe('^------!');
        const src2 = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
        expectObservable(src2.pipe(map(step), ...train(params), averageParams(params, { ema: 0.9 }), map((r: StepResult) => r.step)), '^--!').toBe('-a-', { a: 1 });
        expectSubscriptions(src2.subscriptions).toBe('^--!');
        const src3 = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
        const failing = src3.pipe(map(step), ...train(params), averageParams(params, { ema: 0.9, evaluate: { name: 'x', fn: () => NaN, everyExamples: 2 } }), map((r: StepResult) => r.step));
        expectObservable(failing).toBe('-a-#', { a: 1 }, expect.objectContaining({ message: 'Expected `x` a finite number from the evaluation, got NaN' }));
      }),
    );
    disposeTree(params);
  });

  it('a synchronous source cut by take leaks nothing', async () => {
    const params = { w: tf.variable(tf.tensor([0])) };
    await expectNoLeak(async () => {
      const data = { xs: [[0], [0], [0], [0]], ys: [0, 0, 0, 0] };
      const r = await lastValueFrom(minibatches(data, { batchSize: 1, epochs: 3 }).pipe(...train(params), averageParams(params, { swa: { start: 1 } }), take(2), toArray()));
      expect(r.length).toBe(2);
    });
    disposeTree(params);
  });

  it('is checkpointed with the run: a resumed run continues the average as if never stopped', async () => {
    const data = { xs: [[0], [0], [0], [0], [0], [0]], ys: [0, 0, 0, 0, 0, 0] };
    const fullParams = { w: tf.variable(tf.tensor([0])) };
    const full = await lastValueFrom(minibatches(data, { batchSize: 1 }).pipe(...train(fullParams), averageParams(fullParams, { ema: 0.5, evaluate: { name: 'ema', fn: () => fullParams.w.dataSync()[0], everyExamples: 1 } }), toArray()));
    const params = { w: tf.variable(tf.tensor([0])) };
    let saved: Record<string, unknown> = {};
    let savedW = 0;
    await lastValueFrom(minibatches(data, { batchSize: 1 }).pipe(...train(params), averageParams(params, { ema: 0.5 }), tap((r) => { saved = JSON.parse(JSON.stringify(scopeOf(r)!.save())); savedW = params.w.dataSync()[0]; }), take(3), toArray()));
    expect(Object.keys(saved)).toContain('average');
    params.w.assign(tf.tensor([savedW]));
    const rest = await lastValueFrom(minibatches(data, { batchSize: 1, start: { step: 4 }, resume: { state: saved } }).pipe(...train(params), averageParams(params, { ema: 0.5, evaluate: { name: 'ema', fn: () => params.w.dataSync()[0], everyExamples: 1 } }), toArray()));
    expect(rest.map((r) => r.info.ema)).toEqual(full.slice(3).map((r) => r.info.ema));
    expect(rest.map((r) => r.info['average.count'])).toEqual([4, 5, 6]);
    disposeTree([params, fullParams]);
  });

  it('rejects bad options, naming the field', () => {
    const params = { w: tf.variable(tf.tensor([0])) };
    expect(() => averageParams(params, {} as never)).toThrow('`method`');
    expect(() => averageParams(params, { ema: 0.9, key: '' })).toThrow('`key`');
    expect(() => averageParams(params, { ema: 0.9, evaluate: { name: 'x', fn: 1 as never, everyExamples: 1 } })).toThrow('`evaluate.fn`');
    expect(() => averageParams(params, { ema: 0.9, evaluate: { name: 'x', fn: () => 1, everyExamples: 0 } })).toThrow('`evaluate.everyExamples`');
    expect(() => averageParams({}, { ema: 0.9 })).toThrow('`params`');
    disposeTree(params);
  });
});
