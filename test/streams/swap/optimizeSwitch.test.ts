import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, map, of, toArray, type Observable } from 'rxjs';
import { adam, RxgradError, sgd, type Params, type Transform } from '../../../src/index';
import { swappable } from '../../../src/swappable';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { RunScope } from '../../../streams/RunScope';
import type { StepResult } from '../../../streams/Step';
import { expectNoLeak, marbles, tinyStep } from '../../helpers';

/** w = [1], loss = 2·w: the gradient is 2 at every step. */
function constantGradient(): { params: Params; loss: (p: Params) => tf.Scalar; dispose: () => void } {
  const w = tf.tidy(() => tf.variable(tf.tensor1d([1])));
  return { params: { w }, loss: (p) => tf.tidy(() => p.w.mul(2).sum()) as tf.Scalar, dispose: () => w.dispose() };
}

const adamSgd = () => swappable({ adam: adam({ lr: 0.1 }), sgd: sgd({ lr: 0.1, momentum: 0.9 }) }, { initial: 'adam' });

function run(steps: Observable<number | string>, p: ReturnType<typeof constantGradient>, switchTo: Observable<string>, scope?: RunScope): Observable<StepResult> {
  return steps.pipe(
    map((k) => ({ ...tinyStep(Number(k)), ...(scope && { scope }) })),
    gradients(p.loss, p.params),
    optimize(adamSgd(), { switchTo }),
    applyUpdates(p.params, { track: ['w'] }),
  );
}

describe('optimize with switchTo', () => {
  it('swaps from the next step on, records which optimizer and since when, and frees the old state', async () => {
    const p = constantGradient();
    await expectNoLeak(() => {
      const steps = new Subject<number>();
      const switchTo = new Subject<string>();
      const out: StepResult[] = [];
      run(steps, p, switchTo).subscribe((r) => out.push(r));
      steps.next(1);
      steps.next(2);
      switchTo.next('sgd');
      steps.next(3);
      steps.next(4);
      steps.complete();
      // g = 2. Adam: u = −0.1·2/(2 + 1e−8) ≈ −0.1 per step → w = 0.9, 0.8.
      // SGD from step 3, fresh buffer: b = 2 → w = 0.8 − 0.2 = 0.6; b = 0.9·2 + 2 = 3.8 → w = 0.6 − 0.38 = 0.22.
      [0.9, 0.8, 0.6, 0.22].forEach((w, i) => expect(out[i].values!.w[0]).toBeCloseTo(w, 6));
      expect(out.map((r) => [r.info.optimizer, r.info.optimizerSince])).toEqual([[0, 0], [0, 0], [1, 3], [1, 3]]);
      expect(switchTo.observed).toBe(false);
    });
    p.dispose();
  });

  it("keeps the swap in the run's checkpoint: a resumed run goes on with SGD's momentum", async () => {
    const p = constantGradient();
    const scope = new RunScope();
    const switchTo = new Subject<string>();
    const steps = new Subject<number>();
    run(steps, p, switchTo, scope).subscribe();
    steps.next(1);
    switchTo.next('sgd');
    steps.next(2);
    const saved = JSON.parse(JSON.stringify(scope.save()));
    steps.complete();
    expect(saved.optimizer.state).toMatchObject({ active: 'sgd', since: 2 });
    // w after step 2: 1 − 0.1 − 0.2 = 0.7. Resumed: b = 0.9·2 + 2 = 3.8 → w = 0.7 − 0.38 = 0.32.
    const resumed = await lastValueFrom(run(of(3), p, new Subject<string>(), new RunScope(saved)).pipe(toArray()));
    expect(resumed[0].values!.w[0]).toBeCloseTo(0.32, 6);
    expect([resumed[0].info.optimizer, resumed[0].info.optimizerSince]).toEqual([1, 2]);
    p.dispose();
  });

  it('fails the run on a name it does not have, and rejects switchTo without a swappable transform', async () => {
    const p = constantGradient();
    await expectNoLeak(() => {
      const errors: unknown[] = [];
      const switchTo = new Subject<string>();
      const steps = new Subject<number>();
      run(steps, p, switchTo).subscribe({ error: (e) => errors.push(e) });
      steps.next(1);
      switchTo.next('lion');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toBeInstanceOf(RxgradError);
      expect((errors[0] as Error).message).toBe('Expected `switchTo` one of adam, sgd, got "lion"');
      expect(steps.observed).toBe(false);
    });
    expect(() => optimize(adam(), { switchTo: of('sgd') })).toThrow('switchTo');
    p.dispose();
  });

  it('marbles: values, the side stream subscribed for the run, errors and early unsubscribe; nothing leaks', async () => {
    const p = constantGradient();
    await expectNoLeak(() =>
      marbles().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
        const which = (r: StepResult) => r.info.optimizer;
        const steps = cold('-1-2-3-4-|');
        const swaps = hot('----s----', { s: 'sgd' });
        expectObservable(run(steps, p, swaps).pipe(map(which))).toBe('-a-a-b-b-|', { a: 0, b: 1 });
        expectSubscriptions(swaps.subscriptions).toBe('^--------!');
        const failing = hot('--#', undefined, new Error('dashboard gone'));
        expectObservable(run(cold('-1-2-3-|'), p, failing).pipe(map(which))).toBe('-a#', { a: 0 }, new Error('dashboard gone'));
        const idle = hot('-------');
        expectObservable(run(cold('-1-#', undefined, new Error('source failed')), p, idle).pipe(map(which))).toBe('-a-#', { a: 0 }, new Error('source failed'));
        expectSubscriptions(idle.subscriptions).toBe('^--!');
        const cut = hot('------s-');
        const cutSteps = cold('-1-2-3-4-|');
        expectObservable(run(cutSteps, p, cut).pipe(map(which)), '^--!').toBe('-a-', { a: 0 });
        expectSubscriptions(cut.subscriptions).toBe('^--!');
        expectSubscriptions(cutSteps.subscriptions).toBe('^--!');
      }),
    );
    p.dispose();
  });

  it('a synchronous source cut by take: the swap stream and the state are released', async () => {
    const p = constantGradient();
    await expectNoLeak(async () => {
      const swaps = new Subject<string>();
      const { take } = await import('rxjs');
      const out = await lastValueFrom(run(of(1, 2, 3, 4, 5), p, swaps).pipe(take(2), toArray()));
      expect(out.map((r) => r.step)).toEqual([1, 2]);
      expect(swaps.observed).toBe(false);
    });
    p.dispose();
  });
});

describe('swappable on the fast path', () => {
  it("runs the in-place fused update of the optimizer in force: bit-identical to that optimizer alone", async () => {
    const trajectory = async (opt: Transform<unknown>): Promise<number[]> => {
      const w = tf.tidy(() => tf.variable(tf.linspace(-1, 1, 1000)));
      const loss = (p: Params) => tf.tidy(() => p.w.square().mul(tf.linspace(0.5, 2, 1000)).sum()) as tf.Scalar;
      await lastValueFrom(of(1, 2, 3, 4, 5).pipe(map((k) => tinyStep(k)), gradients(loss, { w }), optimize(opt), applyUpdates({ w }), toArray()));
      const out = Array.from(w.dataSync());
      w.dispose();
      return out;
    };
    const swap = swappable({ adam: adam({ lr: 0.01 }), sgd: sgd() });
    expect(typeof swap.updateInPlace).toBe('function');
    await expectNoLeak(async () => expect(await trajectory(swap)).toEqual(await trajectory(adam({ lr: 0.01 }))));
  });
});

describe('optimize with inspect', () => {
  it('puts the inspection into info every n steps only', async () => {
    const p = constantGradient();
    await expectNoLeak(async () => {
      const out = await lastValueFrom(
        of(1, 2, 3, 4).pipe(
          map((k) => tinyStep(k)),
          gradients(p.loss, p.params),
          optimize(adam({ lr: 0.1 }), { inspect: { every: 2, quantiles: [0.5] } }),
          applyUpdates(p.params),
          toArray(),
        ),
      );
      expect(out.map((r) => 'inspect.stepSize.w.p50' in r.info)).toEqual([false, true, false, true]);
      // Step 2, g = 2 constant: m̂ = 2, v̂ = 4, step = 0.1/(2 + 1e−8) = 0.05, |m̂| = 2; x1 = 0.9, u = −0.1 → ratio 0.1/0.9.
      expect(out[1].info['inspect.stepSize.w.p50']).toBeCloseTo(0.05, 6);
      expect(out[1].info['inspect.mAbs.w.p50']).toBeCloseTo(2, 5);
      expect(out[1].info['inspect.updateRatio.w']).toBeCloseTo(0.1 / 0.9, 5);
    });
    expect(() => optimize(adam(), { inspect: { every: 0 } })).toThrow('Expected `inspect.every` an integer ≥ 1, got 0');
    p.dispose();
  });
});
