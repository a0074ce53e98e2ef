import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { addDecayedWeights } from '../../src/transforms/addDecayedWeights';
import { scaleByLearningRate } from '../../src/transforms/scaleByLearningRate';
import { trace } from '../../src/transforms/trace';

describe('PlannedTransform.replan: plan of the next update without the name and shape checks', () => {
  const params = { w: tf.tensor([1, 2]) };
  const grads = { w: tf.tensor([0.5, 0.5]) };

  it('gives what plan gives for the state advance made (count + 1, hyperparameters resolved again)', () => {
    // trace with momentum = schedule t ↦ 0.9 / t: update 1 plans at count 1 (0.9), update 2 at count 2 (0.45).
    const t = trace({ momentum: (step: number) => 0.9 / step });
    const p1 = t.plan(grads, t.init(params), params);
    const s1 = t.advance(t.init(params), p1, { w: { trace: null } });
    const re = t.replan(p1, grads, s1, params);
    expect(re).toEqual(t.plan(grads, s1, params));
    expect(re.count).toBe(2);
    expect(re.hyper.momentum).toBe(0.45);
    // A pipeline's value wins: lr 0.05 on the step.
    const lr = scaleByLearningRate(0.1);
    const q1 = lr.plan(grads, lr.init(params), params);
    expect(lr.replan(q1, grads, lr.advance(lr.init(params), q1, {}), params, { hyper: { lr: 0.05 } })).toEqual({ count: 2, hyper: { lr: 0.05 } });
  });

  it('fails as plan does on a bad hyperparameter and on a check that reads one', () => {
    const t = trace({ momentum: 0.9 });
    const p1 = t.plan(grads, t.init(params), params);
    const s1 = t.advance(t.init(params), p1, { w: { trace: null } });
    const bad = { hyper: { momentum: -1 } };
    expect(() => t.plan(grads, s1, params, bad)).toThrow(/momentum/);
    let planned = '';
    try {
      t.plan(grads, s1, params, bad);
    } catch (e) {
      planned = (e as Error).message;
    }
    expect(() => t.replan(p1, grads, s1, params, bad)).toThrow(planned);
    // addDecayedWeights: λ ≠ 0 needs the parameters (checkParam), named as plan names it.
    const d = addDecayedWeights(0);
    const q1 = d.plan(grads, d.init(params));
    const s2 = d.advance(d.init(params), q1, { w: {} });
    expect(() => d.replan(q1, grads, s2, undefined, { hyper: { weightDecay: 0.1 } })).toThrow(/the parameters when weightDecay/);
  });
});
