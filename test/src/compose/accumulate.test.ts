import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, map, of, toArray } from 'rxjs';
import {
  accumulate,
  checkStateLayout,
  disposeReplaced,
  disposeTree,
  perOptimizerStep,
  restoreState,
  RxgradError,
  serializeState,
  sgd,
  type Transform,
} from '../../../src/index';
import { applyUpdates, gradients, learningRate, optimize } from '../../../streams/index';
import { expectNoLeak, tinyProblem, tinyStep } from '../../helpers';

/** Feed each gradient (one parameter `w`) to `t` in turn; the updates' values and the infos, state freed as a caller does. */
function run<S>(t: Transform<S>, grads: number[][]): { updates: number[][]; info: Record<string, number>[] } {
  const p = { w: tf.zeros([grads[0].length]) };
  let state = t.init(p);
  const updates: number[][] = [];
  const info: Record<string, number>[] = [];
  for (const g of grads) {
    const gt = tf.tensor(g);
    const r = t.update({ w: gt }, state, p);
    updates.push(Array.from(r.updates.w.dataSync()));
    info.push({ ...r.info });
    disposeReplaced(state, r.state);
    state = r.state;
    tf.dispose([gt, r.updates.w]);
  }
  disposeTree([state, p]);
  return { updates, info };
}

describe('accumulate', () => {
  it('k = 3, mean: zeros on micro-batches 1–2, −η·mean on the 3rd', async () => {
    await expectNoLeak(() => {
      // group 1: g = 1, 2, 6 → mean 3 → u = −0.1·3 = −0.3; group 2: g = 3, 0, 0 → mean 1 → u = −0.1
      const { updates, info } = run(accumulate(3, sgd({ lr: 0.1 })), [[1], [2], [6], [3], [0], [0]]);
      expect(updates.map((u) => u[0])).toEqual([0, 0, expect.closeTo(-0.3, 7), 0, 0, expect.closeTo(-0.1, 7)]);
      expect(info.map((i) => [i.updated, i.accumulated, i.optimizerStep])).toEqual([[0, 1, 0], [0, 2, 0], [1, 3, 1], [0, 1, 1], [0, 2, 1], [1, 3, 2]]);
    });
  });

  it('mean: false hands the inner transform the sum', () => {
    // g = 1, 2, 6 → sum 9 → u = −0.1·9 = −0.9
    expect(run(accumulate(3, sgd({ lr: 0.1 }), { mean: false }), [[1], [2], [6]]).updates[2][0]).toBeCloseTo(-0.9, 6);
  });

  it('the inner state moves only on updates (momentum counts optimizer steps)', () => {
    // sgd(lr 1, momentum 0.5), k = 2. Group 1: mean(1, 3) = 2 → v₁ = 2, u = −2.
    // Group 2: mean(5, 7) = 6 → v₂ = 0.5·2 + 6 = 7, u = −7 (had the micro-batches reached it: v would have decayed 4 times).
    const { updates } = run(accumulate(2, sgd({ lr: 1, momentum: 0.5 })), [[1], [3], [5], [7]]);
    expect(updates.map((u) => u[0])).toEqual([0, -2, 0, -7]);
  });

  it('a schedule option is evaluated at the optimizer step, not the micro-batch', () => {
    // lr(n) = n, k = 2, g = 1 always: update 1 (micro-batch 2) uses lr(1) = 1, update 2 (micro-batch 4) lr(2) = 2
    const { updates } = run(accumulate(2, sgd({ lr: (n) => n })), [[1], [1], [1], [1]]);
    expect(updates.map((u) => u[0])).toEqual([0, -1, 0, -2]);
  });

  it('k = 1 is the inner transform', () => {
    expect(run(accumulate(1, sgd({ lr: 0.5 })), [[2], [4]]).updates).toEqual([[-1], [-2]]);
  });

  it('state round-trips through serializeState mid-group and fits checkStateLayout', async () => {
    const t = accumulate(2, sgd({ lr: 0.1, momentum: 0.9 }));
    const p = { w: tf.tensor([0, 0]) };
    await expectNoLeak(() => {
      const s0 = t.init(p);
      const g = { w: tf.tensor([1, 2]) };
      const r1 = t.update(g, s0, p);
      disposeReplaced(s0, r1.state);
      const json = JSON.parse(JSON.stringify(serializeState(r1.state)));
      // micro = 1, acc = [1, 2], count = 0
      expect(json.state.micro).toBe(1);
      expect(json.state.acc.w.values).toEqual([1, 2]);
      const back = restoreState(json, t, p);
      const a = t.update(g, r1.state, p);
      const b = t.update(g, back, p);
      // mean([1, 2], [1, 2]) = [1, 2], v = [1, 2], u = −0.1·[1, 2]
      expect(Array.from(a.updates.w.dataSync())).toEqual(Array.from(b.updates.w.dataSync()));
      expect(Array.from(a.updates.w.dataSync())).toEqual([expect.closeTo(-0.1, 7), expect.closeTo(-0.2, 7)]);
      expect(() => checkStateLayout({ inner: back.inner, acc: back.acc, count: 0 }, t, p)).toThrow(/state/);
      expect(() => checkStateLayout(sgd({ lr: 0.1 }).init(p), t, p)).toThrow(RxgradError);
      disposeTree([r1, a, b, back, g]);
    });
    p.w.dispose();
  });

  it('rejects bad options and unknown gradients, naming the field', () => {
    expect(() => accumulate(0, sgd())).toThrow('Expected `k` an integer ≥ 1, got 0');
    expect(() => accumulate(2.5, sgd())).toThrow('`k`');
    expect(() => accumulate(2, {} as Transform)).toThrow('`inner`');
    expect(() => accumulate(2, sgd(), { mean: 'yes' as unknown as boolean })).toThrow('Expected `options.mean` a boolean');
    expect(() => accumulate(2, sgd(), { average: true } as never)).toThrow('options.average');
    const t = accumulate(2, sgd());
    const p = { w: tf.zeros([2]) };
    const s = t.init(p);
    const g = { v: tf.zeros([2]) };
    expect(() => t.update(g, s, p)).toThrow('grads.v');
    expect(() => t.update(p, { ...s, micro: 2 }, p)).toThrow('Expected `state.micro` an integer in [0, 1] (micro-batches held, k = 2), got 2');
    const g3 = { w: tf.zeros([3]) };
    expect(() => t.update(g3, s, p)).toThrow('shape [2]');
    disposeTree([p, s, g, g3]);
  });
});

describe('perOptimizerStep', () => {
  it('evaluates the schedule at ⌈t/k⌉', () => {
    const s = perOptimizerStep(4, (n) => 10 * n);
    // t = 1…4 → n = 1; t = 5 → 2; t = 8 → 2; t = 9 → 3
    expect([1, 4, 5, 8, 9].map((t) => s(t))).toEqual([10, 10, 20, 20, 30]);
    expect(() => perOptimizerStep(0, 1)).toThrow('`k`');
    expect(() => s(0)).toThrow('`step`');
  });
});

describe('accumulate in a pipeline', () => {
  it('updates every k-th step, with the lr of the optimizer step; the StepResult says which steps updated', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const results = await lastValueFrom(
        of(1, 2, 3, 4).pipe(
          map((k) => tinyStep(k)),
          gradients(p.loss, p.params),
          learningRate(perOptimizerStep(2, (n) => 0.1 * n)),
          optimize(accumulate(2, sgd())),
          applyUpdates(p.params, { track: ['w'] }),
          toArray(),
        ),
      );
      // tiny problem: g = [−3, −6] at w = [0.5, −0.5] (steps 1 and 2: w unchanged after step 1).
      // Step 2 updates with lr s(⌈2/2⌉) = 0.1: u = −0.1·mean(g, g) = [0.3, 0.6] → w = [0.8, 0.1].
      // Then r = 0.8 + 2·0.1 − 1 = 0: g = 0, step 4 updates by 0 with lr 0.2.
      expect(results.map((r) => r.info.updated)).toEqual([0, 1, 0, 1]);
      expect(results.map((r) => r.info.optimizerStep)).toEqual([0, 1, 1, 2]);
      expect(results.map((r) => r.lr)).toEqual([0.1, 0.1, 0.2, 0.2]);
      expect(results[0].updateNorm).toBe(0);
      expect(results[1].updateNorm).toBeCloseTo(Math.sqrt(0.45), 6);
      expect(results[1].values!.w).toEqual([expect.closeTo(0.8, 6), expect.closeTo(0.1, 6)]);
      expect(results[3].values!.w).toEqual(results[1].values!.w);
    });
    p.dispose();
  });

  it('frees its accumulator on error and early unsubscribe', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      const bad = of(1, 2).pipe(
        map((k) => (k === 2 ? { ...tinyStep(k), hyper: { lr: -1 } } : tinyStep(k))),
        gradients(p.loss, p.params),
        optimize(accumulate(2, sgd())),
        applyUpdates(p.params),
      );
      await expect(lastValueFrom(bad)).rejects.toThrow('`lr`');
    });
    p.dispose();
  });
});
