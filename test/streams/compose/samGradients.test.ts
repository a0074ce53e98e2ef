import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, map, of, take, tap, toArray } from 'rxjs';
import { samGrads, sgd, type Params } from '../../../src/index';
import { applyUpdates, minibatches, optimize, samGradients, disposeStep, type Batch, type Step } from '../../../streams/index';
import { expectNoLeak, marbles } from '../../helpers';

/** L = ½‖w‖² (batch ignored): ∇L = w. */
const half = (p: Params) => tf.tidy(() => tf.sum(tf.square(p.w)).mul(0.5)) as tf.Scalar;
/** L = Σ w⁴/4: ∇L = w³. */
const quartic = (p: Params) => tf.tidy(() => tf.sum(tf.pow(p.w, 4)).div(4)) as tf.Scalar;
const step = (k: number): Step<Batch> => ({ step: k, epoch: 1, batch: { xs: tf.zeros([1]), ys: tf.zeros([1]) }, size: 1, examples: k, startedAt: 0, hyper: {} });

describe('samGrads', () => {
  it('gradient at x + ρg/‖g‖, loss at x, parameters restored exactly', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    await expectNoLeak(() => {
      // g = [3, 4], ‖g‖ = 5, ρ = 0.5: ε = [0.3, 0.4]; ∇L(x + ε) = [3.3, 4.4]; L(x) = ½·25 = 12.5
      const r = samGrads(() => half(params), params, 0.5);
      expect(r.value.dataSync()[0]).toBe(12.5);
      expect(Array.from(r.grads.w.dataSync())).toEqual([expect.closeTo(3.3, 6), expect.closeTo(4.4, 6)]);
      expect(Array.from(params.w.dataSync())).toEqual([3, 4]);
      tf.dispose([r.value, r.grads.w]);
    });
    params.w.dispose();
  });

  it('non-linear gradient: L = Σw⁴/4 at w = [1, 0], ρ = 0.1 → ∇L(1.1, 0) = [1.331, 0]', () => {
    const params = { w: tf.variable(tf.tensor([1, 0])) };
    const r = samGrads(() => quartic(params), params, 0.1);
    expect(Array.from(r.grads.w.dataSync())).toEqual([expect.closeTo(1.331, 5), 0]);
    tf.dispose([r.value, r.grads.w, params.w]);
  });

  it('a loss that throws on the second pass leaves the parameters as they were, and no tensor', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    await expectNoLeak(() => {
      let calls = 0;
      expect(() => samGrads(() => (++calls === 2 ? (() => { throw new Error('second'); })() : half(params)), params, 0.5)).toThrow('second');
      expect(Array.from(params.w.dataSync())).toEqual([3, 4]);
    });
    params.w.dispose();
  });
});

describe('samGradients', () => {
  it('SAM-SGD: one step from w = [3, 4] with ρ 0.5, lr 0.1 → w − 0.1·[3.3, 4.4] = [2.67, 3.56]', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    await expectNoLeak(async () => {
      const [r] = await lastValueFrom(of(1).pipe(map(step), samGradients((p) => half(p), params, { rho: 0.5 }), optimize(sgd({ lr: 0.1 })), applyUpdates(params, { track: ['w'] }), toArray()));
      expect(r.loss).toBe(12.5);
      expect(r.values!.w).toEqual([expect.closeTo(2.67, 6), expect.closeTo(3.56, 6)]);
      expect(r.gradNorm).toBeCloseTo(5.5, 5); // ‖[3.3, 4.4]‖ = 1.1·5
      expect(r.info['sam.rho']).toBe(0.5);
    });
    params.w.dispose();
  });

  it('ρ as a schedule of the step; ρ = 0 is plain gradients', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    const steps = await lastValueFrom(of(1, 2).pipe(map(step), samGradients((p) => half(p), params, { rho: (t) => (t - 1) * 0.5 }), toArray()));
    // t = 1: ρ = 0 → g = [3, 4]; t = 2: ρ = 0.5 → [3.3, 4.4]
    expect(steps.map((s) => Array.from(s.grads!.w.dataSync()))).toEqual([[3, 4], [expect.closeTo(3.3, 6), expect.closeTo(4.4, 6)]]);
    steps.forEach(disposeStep);
    params.w.dispose();
  });

  it('keeps values and lifetimes (marbles), freeing every tensor', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a--b-|', { a: 1, b: 2 });
        const out = src.pipe(map(step), samGradients((p) => half(p), params, { rho: 0.5 }), map((s) => {
          const g = Array.from(s.grads!.w.dataSync()).map((v) => v.toFixed(2));
          disposeStep(s);
          return `${s.step}:${g.join(',')}`;
        }));
        expectObservable(out).toBe('-a--b-|', { a: '1:3.30,4.40', b: '2:3.30,4.40' });
        expectSubscriptions(src.subscriptions).toBe('^-----!');
      }),
    );
    params.w.dispose();
  });

  it('early unsubscribe leaks nothing (marbles)', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable, expectSubscriptions }) => {
        const src = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
        const out = src.pipe(map(step), samGradients((p) => half(p), params), map((s) => (disposeStep(s), s.step)));
        expectObservable(out, '^--!').toBe('-a-', { a: 1 });
        expectSubscriptions(src.subscriptions).toBe('^--!');
      }),
    );
    params.w.dispose();
  });

  it('a throwing loss fails the stream, frees the step, restores the parameters (marbles)', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    await expectNoLeak(() =>
      marbles().run(({ cold, expectObservable }) => {
        let calls = 0;
        const loss = (p: Params) => (++calls === 4 ? (() => { throw new Error('boom'); })() : half(p));
        const out = cold('-a-b-c|', { a: 1, b: 2, c: 3 }).pipe(map(step), samGradients(loss, params), map((s) => (disposeStep(s), s.step)));
        expectObservable(out).toBe('-a-#', { a: 1 }, new Error('boom'));
      }),
    );
    expect(Array.from(params.w.dataSync())).toEqual([3, 4]);
    params.w.dispose();
  });

  it('a synchronous source cut by take: exactly n steps made, nothing left behind', async () => {
    const params = { w: tf.variable(tf.tensor([3, 4])) };
    await expectNoLeak(async () => {
      let made = 0;
      const data = { xs: [[0], [0], [0], [0]], ys: [0, 0, 0, 0] };
      const r = await lastValueFrom(minibatches(data, { batchSize: 1, epochs: 5 }).pipe(tap(() => made++), samGradients((p) => half(p), params), optimize(sgd({ lr: 0.1 })), applyUpdates(params), take(3), toArray()));
      expect(r.map((x) => x.step)).toEqual([1, 2, 3]);
      expect(made).toBe(3);
    });
    params.w.dispose();
  });

  it('rejects bad arguments, naming the field', () => {
    const params = { w: tf.variable(tf.tensor([1])) };
    expect(() => samGradients(half, params, { rho: -1 })).toThrow('Expected `options.rho` ≥ 0, got -1');
    expect(() => samGradients(half, params, { radius: 1 } as never)).toThrow('options.radius');
    expect(() => samGradients(half, {})).toThrow('`params`');
    expect(() => samGradients(half, { w: tf.tensor([1]) as unknown as tf.Variable })).toThrow('`params.w`');
    params.w.dispose();
  });
});
