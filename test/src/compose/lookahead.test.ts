import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { checkStateLayout, disposeReplaced, disposeTree, lookahead, restoreState, serializeState, sgd, type Transform } from '../../../src/index';
import { trajectory } from '../helpers';
import { lastValueFrom, map, of, take, toArray } from 'rxjs';
import { applyUpdates, gradients, optimize } from '../../../streams/index';
import { expectNoLeak, tinyProblem, tinyStep } from '../../helpers';

describe('lookahead', () => {
  it('k = 2, α = 0.5 around sgd(lr 1) with g = 1: slow weights pull the fast ones back every 2nd step', async () => {
    await expectNoLeak(() => {
      // x₀ = φ = 0. t=1: x̃ = −1 → x = −1. t=2: x̃ = −2, φ = 0 + 0.5(−2 − 0) = −1 → x = −1.
      // t=3: x̃ = −2 → x = −2. t=4: x̃ = −3, φ = −1 + 0.5(−3 + 1) = −2 → x = −2. t=5: −3. t=6: x̃ = −4, φ = −2 + 0.5(−4 + 2) = −3.
      const xs = trajectory(lookahead(sgd({ lr: 1 }), { k: 2, alpha: 0.5 }), [0], 6, (x) => tf.onesLike(x));
      expect(xs.map((x) => x[0])).toEqual([-1, -1, -2, -2, -3, -3]);
    });
  });

  it('α = 1 is the inner optimizer; k = 1, α = 0.5 halves every step', () => {
    expect(trajectory(lookahead(sgd({ lr: 1 }), { k: 3, alpha: 1 }), [0], 4, (x) => tf.onesLike(x)).map((x) => x[0])).toEqual([-1, -2, -3, -4]);
    // k = 1: φ_t = φ + 0.5(φ − 1 − φ) = φ − 0.5: −0.5, −1, −1.5
    expect(trajectory(lookahead(sgd({ lr: 1 }), { k: 1, alpha: 0.5 }), [0], 3, (x) => tf.onesLike(x)).map((x) => x[0])).toEqual([-0.5, -1, -1.5]);
  });

  it('keeps the inner state across synchronisations (momentum), reports info.synced', () => {
    const t = lookahead(sgd({ lr: 1, momentum: 0.5 }), { k: 2, alpha: 0.5 });
    const p0 = { x: tf.tensor([0]) };
    let s = t.init(p0);
    let x = p0.x;
    const synced: number[] = [];
    const xs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const g = { x: tf.onesLike(x) };
      const r = t.update(g, s, { x });
      disposeReplaced(s, r.state);
      s = r.state;
      synced.push(r.info!.synced);
      const next = x.add(r.updates.x);
      disposeTree([g, r.updates, x]);
      x = next;
      xs.push(x.dataSync()[0]);
    }
    // v₁ = 1, x̃ = −1 → x = −1. v₂ = 1.5, x̃ = −2.5, φ = 0.5·(−2.5) = −1.25 → x = −1.25. v₃ = 1.75 (not reset) → x = −3
    expect(xs).toEqual([-1, -1.25, -3]);
    expect(synced).toEqual([0, 1, 0]);
    disposeTree([s, x]);
  });

  it('state (slow weights included) round-trips and is layout-checked', async () => {
    const t = lookahead(sgd({ lr: 0.1 }), { k: 2 });
    const p = { w: tf.tensor([1, 2]) };
    await expectNoLeak(() => {
      const s = t.init(p);
      const json = JSON.parse(JSON.stringify(serializeState(s)));
      expect(json.state.slow.w.values).toEqual([1, 2]);
      const back = restoreState(json, t, p);
      expect(() => checkStateLayout({ ...back, slow: {} }, t, p)).toThrow('`state.slow`');
      disposeTree([s, back]);
    });
    p.w.dispose();
  });

  it('rejects bad options and a missing params', () => {
    expect(() => lookahead(sgd(), { k: 0 })).toThrow('Expected `options.k` an integer ≥ 1, got 0');
    expect(() => lookahead(sgd(), { alpha: 0 })).toThrow('Expected `options.alpha` in (0, 1], got 0');
    expect(() => lookahead(sgd(), { period: 2 } as never)).toThrow('options.period');
    expect(() => lookahead({} as Transform)).toThrow('`inner`');
    const t = lookahead(sgd());
    const p = { w: tf.tensor([1]) };
    const s = t.init(p);
    expect(() => t.update(p, s)).toThrow('Expected `params` the parameters');
    disposeTree([p, s]);
  });
});

describe('lookahead in a pipeline', () => {
  it('trains through optimize, frees its slow weights on complete, error and early unsubscribe', async () => {
    const p = tinyProblem();
    await expectNoLeak(async () => {
      // tiny problem at w = [0.5, −0.5]: g = [−3, −6]; sgd(lr 0.1) → x̃ = [0.8, 0.1]; k = 1, α = 0.5: φ = [0.65, −0.2]
      const [r] = await lastValueFrom(of(1).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(lookahead(sgd({ lr: 0.1 }), { k: 1 })), applyUpdates(p.params, { track: ['w'] }), toArray()));
      expect(r.values!.w).toEqual([expect.closeTo(0.65, 6), expect.closeTo(-0.2, 6)]);
      expect(r.info.synced).toBe(1);
      const bad = of(1, 2).pipe(map((k) => (k === 2 ? { ...tinyStep(k), hyper: { lr: -1 } } : tinyStep(k))), gradients(p.loss, p.params), optimize(lookahead(sgd())), applyUpdates(p.params));
      await expect(lastValueFrom(bad)).rejects.toThrow('`lr`');
      await lastValueFrom(of(1, 2, 3).pipe(map((k) => tinyStep(k)), gradients(p.loss, p.params), optimize(lookahead(sgd())), applyUpdates(p.params), take(1)));
    });
    p.dispose();
  });
});
