import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Subject, lastValueFrom, tap, toArray } from 'rxjs';
import { adam, cosine, sgd } from '../../../src/index';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { gradients } from '../../../streams/operators/gradients';
import { hyper } from '../../../streams/operators/hyper';
import { learningRate } from '../../../streams/operators/learningRate';
import { optimize } from '../../../streams/operators/optimize';
import { override } from '../../../streams/operators/override';
import { reduceOnPlateau, type Metric } from '../../../streams/operators/reduceOnPlateau';
import { objective } from '../../../streams/sources/objective';
import type { StepResult } from '../../../streams/Step';
import { expectNoLeak } from '../../helpers';

/** f(x) = ½x² from x0 = 1: loss_t = ½x_{t−1}², g_t = x_{t−1}. */
const halfSquare = (steps: number) => objective((x) => x.square().sum().mul(0.5) as tf.Scalar, [1], { steps });

const closeTo = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(expected));

describe('a run reports exactly the hyperparameters it applied', () => {
  it('cosine × plateau × live override, against a hand computation', async () => {
    await expectNoLeak(async () => {
      const p = halfSquare(8);
      const metrics = new Subject<Metric>();
      const slider = new Subject<number | null>();
      const results = await lastValueFrom(
        p.steps.pipe(
          gradients(p.loss, p.params),
          learningRate(cosine({ base: 0.1, tMax: 10 })),
          // threshold 1 (abs): no loss here ever improves by 1, so every metric after the first is bad
          reduceOnPlateau(metrics, { factor: 0.5, patience: 1, threshold: 1, thresholdMode: 'abs' }),
          override('lr', slider),
          optimize(sgd({ lr: 0.3 })), // its own lr is overridden by the step's
          applyUpdates(p.params, { track: ['x'] }),
          tap((r: StepResult) => {
            metrics.next({ step: r.step, epoch: r.epoch, value: r.loss });
            if (r.step === 5) slider.next(0.05); // the dashboard moves the slider after step 5 …
            if (r.step === 7) slider.next(null); // … and lets go after step 7
          }),
          toArray(),
        ),
      );
      p.dispose();

      // Hand computation. Cosine: c_t = 0.1·(1 + cos(π(t − 1)/10))/2.
      // Plateau (patience 1, ×0.5): m1 best; m2 bad 1; m3 bad 2 → 0.5; m4 bad 1; m5 → 0.25; m6 bad 1; m7 → 0.125.
      // The factor at step t uses m1 … m_{t−1}: 1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125.
      // Override 0.05 replaces the product at steps 6 and 7; step 8 is back to c_8 · 0.125.
      const c = (t: number) => (0.1 * (1 + Math.cos((Math.PI * (t - 1)) / 10))) / 2;
      const factor = [1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125];
      const lr = factor.map((f, i) => (i + 1 === 6 || i + 1 === 7 ? 0.05 : c(i + 1) * f));
      expect(results.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      results.forEach((r, i) => {
        closeTo(r.hyper.lr, lr[i]);
        expect(r.lr).toBe(r.hyper.lr);
        expect(r.info['plateau.lr']).toBe(factor[i]);
        expect(r.info['override.lr']).toBe(i + 1 === 6 || i + 1 === 7 ? 0.05 : undefined);
      });
      // …and that is what was applied: x_t = x_{t−1}·(1 − η_t), loss_t = ½x_{t−1}² (float64 here, float32 in the run)
      let x = 1;
      results.forEach((r, i) => {
        closeTo(r.loss, 0.5 * x * x);
        x *= 1 - lr[i];
        closeTo(r.values!.x[0], x);
      });
    });
  });

  it('momentum scheduled through the step (sgd): v_t = μ_t·v_{t−1} + g_t, x_t = x_{t−1} − η·v_t', async () => {
    const p = halfSquare(4);
    const mu = [0.9, 0.5, 0.9, 0.5];
    const results = await lastValueFrom(
      p.steps.pipe(gradients(p.loss, p.params), hyper('momentum', (t) => mu[t - 1]), optimize(sgd({ lr: 0.1, momentum: 0.9 })), applyUpdates(p.params, { track: ['x'] }), toArray()),
    );
    p.dispose();
    expect(results.map((r) => r.hyper.momentum)).toEqual(mu);
    // PyTorch SGD: v_1 = g_1 (the first buffer is the gradient), then v_t = μ_t v_{t−1} + g_t
    let x = 1;
    let v = 0;
    results.forEach((r, i) => {
      v = i === 0 ? x : mu[i] * v + x;
      x -= 0.1 * v;
      closeTo(r.values!.x[0], x);
    });
  });

  it('beta1 scheduled through the step (adam), bias correction with the β1 in force (PyTorch)', async () => {
    const p = halfSquare(3);
    const beta1 = [0.9, 0.5, 0.7];
    const results = await lastValueFrom(
      p.steps.pipe(gradients(p.loss, p.params), hyper('beta1', (t) => beta1[t - 1]), optimize(adam({ lr: 0.1 })), applyUpdates(p.params, { track: ['x'] }), toArray()),
    );
    p.dispose();
    expect(results.map((r) => r.hyper.beta1)).toEqual(beta1);
    // m_t = β1_t m_{t−1} + (1 − β1_t) g_t; v_t = 0.999 v_{t−1} + 0.001 g_t²
    // x_t = x_{t−1} − 0.1 · (m_t / (1 − β1_t^t)) / (√(v_t / (1 − 0.999^t)) + 1e-8)
    let x = 1;
    let m = 0;
    let v = 0;
    results.forEach((r, i) => {
      const t = i + 1;
      const g = x;
      m = beta1[i] * m + (1 - beta1[i]) * g;
      v = 0.999 * v + 0.001 * g * g;
      x -= (0.1 * (m / (1 - beta1[i] ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
      closeTo(r.values!.x[0], x);
    });
  });
});
