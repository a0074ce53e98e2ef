import { lastValueFrom, Subject, take, tap, toArray, type OperatorFunction } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';

/** Counts the steps whose gradients came from the analytic path (analyticGrads gave a result). */
const taken = vi.hoisted(() => ({ count: 0 }));
vi.mock('../../../src/fast/analyticGrads', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../src/fast/analyticGrads')>();
  return {
    ...real,
    analyticGrads: (...args: Parameters<typeof real.analyticGrads>) => {
      const r = real.analyticGrads(...args);
      if (r !== undefined) taken.count++;
      return r;
    },
  };
});
import {
  accumulate,
  adam,
  addDecayedWeights,
  chain,
  lion,
  linearRegression,
  logisticRegression,
  lookahead,
  masked,
  multiTransform,
  perOptimizerStep,
  scaleByLearningRate,
  sgd,
  swappable,
  type Transform,
} from '../../../src/index';
import { airfoil, applyUpdates, averageParams, gradients, learningRate, minibatches, optimize, samGradients, type StepResult } from '../../../streams/index';
import { expectNoLeak } from '../../helpers';
import { expectClose } from '../helpers';

/**
 * Issue 11's closing sentence: every composition runs on gradients' analytic fast path
 * (linearRegression / logisticRegression have one) and gives what the general tfjs path gives
 * (`gradients(..., { fast: false })`), to 1e-6 relative. The fused in-place path of `optimize`
 * is taken where the transform has one (swappable over adam/sgd) on both sides.
 */
const groups = (): Transform<any> => multiTransform({ weights: adam({ lr: 0.05 }), bias: sgd({ lr: 0.1, momentum: 0.9 }) }, { bias: /^b$/, weights: /^w$/ });
const COMPOSED: Record<string, { make: () => Transform<any>; lr?: boolean; switchTo?: boolean }> = {
  'accumulate(3, adam) with perOptimizerStep': { make: () => accumulate(3, adam({ lr: 0.05 })), lr: true },
  'multiTransform (adam on w, sgd on b)': { make: groups },
  'masked decay on w then sgd': { make: () => chain(masked(addDecayedWeights(0.01), /^w$/), sgd({ lr: 0.05 })) },
  'lookahead(adam, k 3)': { make: () => lookahead(adam({ lr: 0.05 }), { k: 3, alpha: 0.5 }) },
  'swappable adam → sgd at step 10 (in-place fused)': { make: () => swappable({ adam: adam({ lr: 0.05 }), sgd: sgd({ lr: 0.05, momentum: 0.9 }) }, { initial: 'adam' }), switchTo: true },
  'accumulate(2, multiTransform(lookahead(lion), sgd))': { make: () => accumulate(2, multiTransform({ weights: lookahead(lion({ lr: 3e-3 })), bias: sgd({ lr: 0.05 }) }, { bias: /^b$/, weights: /^w$/ })) },
};

const logisticData = (() => {
  let s = 7;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const xs = Array.from({ length: 64 }, () => Array.from({ length: 5 }, rand));
  return { xs, ys: xs.map((x) => (x[0] - 0.5 * x[1] + 0.2 * x[4] > 0 ? 1 : 0)) };
})();
const MODELS = {
  'airfoil linear regression': { make: () => linearRegression(5, { seed: 1 }), data: () => airfoil() as never, batchSize: 10 },
  'logistic regression': { make: () => logisticRegression(5, { init: { seed: 4, std: 0.1 } }), data: () => logisticData as never, batchSize: 8 },
};

async function train(model: ReturnType<typeof linearRegression>, data: never, batchSize: number, grads: OperatorFunction<any, any>, c: (typeof COMPOSED)[string]) {
  const ops: OperatorFunction<any, any>[] = [grads];
  if (c.lr) ops.push(learningRate(perOptimizerStep(3, (n: number) => 0.05 / Math.sqrt(n))));
  // switchTo: 'sgd' is emitted once step 9 has passed, so step 10 is SGD's first
  const switchTo = new Subject<string>();
  const rs: StepResult[] = await lastValueFrom(
    (minibatches(data, { batchSize, shuffle: true, seed: 3, epochs: 4 }) as any).pipe(
      ...(ops as [OperatorFunction<any, any>]),
      optimize(c.make(), c.switchTo ? { switchTo } : {}),
      applyUpdates(model.params),
      averageParams(model.params, { ema: 0.9 }),
      tap((r: StepResult) => r.step === 9 && c.switchTo && switchTo.next('sgd')),
      take(30),
      toArray(),
    ),
  );
  const values = [...model.params.w.dataSync(), ...model.params.b.dataSync()];
  model.dispose();
  // Steps of applyUpdates' fused path (also analytic: it computes the gradient on arrays without analyticGrads).
  const fused = rs.filter((r) => r.info.fused === 1).length;
  return { seen: rs.length, losses: rs.map((r) => r.loss), lrs: rs.map((r) => r.lr), updated: rs.map((r) => r.info.updated), optimizer: rs.map((r) => r.info.optimizer), values, fused };
}

describe('compositions of issue 11 on the fast path equal the general path', () => {
  for (const [mname, m] of Object.entries(MODELS)) {
    for (const [name, c] of Object.entries(COMPOSED)) {
      it(`${mname}, ${name}: 30 steps, losses and parameters to 1e-6 relative, no leak`, async () => {
        await expectNoLeak(async () => {
          const fastModel = m.make();
          taken.count = 0;
          const fast = await train(fastModel, m.data(), m.batchSize, gradients(fastModel.loss, fastModel.params, { fast: true }), c);
          const slowModel = m.make();
          const slow = await train(slowModel, m.data(), m.batchSize, gradients(slowModel.loss, slowModel.params, { fast: false }), c);
          expect(fast.seen).toBe(30);
          expect(taken.count, 'steps on the analytic path').toBeGreaterThanOrEqual(30);
          expectClose(fast.losses, slow.losses, `${name} losses`, 1e-6, 1e-7);
          expect(fast.lrs).toEqual(slow.lrs);
          expect(fast.updated).toEqual(slow.updated);
          expect(fast.optimizer).toEqual(slow.optimizer);
          expectClose(fast.values, slow.values, `${name} parameters`, 1e-6, 1e-7);
        });
      });
    }
  }

  // samGradients has no fast path (both passes on valueAndGrads, its doc's point 4): with ρ = 0 its
  // gradient is the plain gradient at x, so it must give what gradients' fast path gives.
  for (const [mname, m] of Object.entries(MODELS)) {
    it(`${mname}, samGradients(ρ = 0) → adam equals gradients on the fast path, no leak`, async () => {
      await expectNoLeak(async () => {
        const a = m.make();
        taken.count = 0;
        const fast = await train(a, m.data(), m.batchSize, gradients(a.loss, a.params, { fast: true }), { make: () => adam({ lr: 0.05 }) });
        expect(taken.count + fast.fused, 'steps on the analytic path (gradients\' fast path or the fused path)').toBeGreaterThanOrEqual(30);
        const b = m.make();
        const sam = await train(b, m.data(), m.batchSize, samGradients(b.loss, b.params, { rho: 0 }), { make: () => adam({ lr: 0.05 }) });
        expectClose(sam.losses, fast.losses, 'losses', 1e-6, 1e-7);
        expectClose(sam.values, fast.values, 'parameters', 1e-6, 1e-7);
      });
    });
  }
});
