import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { disposeReplaced, disposeTree, paramAverage, withValues, type AverageMethod } from '../../../src/index';
import { expectNoLeak } from '../../helpers';

/** Feed x_t = xs[t − 1] at steps 1, 2, …; the value after each step. */
function values(method: AverageMethod, xs: number[]): number[] {
  const avg = paramAverage(method);
  const shape = { w: tf.zeros([1]) };
  let s = avg.init(shape);
  shape.w.dispose();
  const out: number[] = [];
  xs.forEach((x, i) => {
    const p = { w: tf.tensor([x]) };
    const next = avg.update(s, p, i + 1);
    disposeReplaced(s, next);
    s = next;
    const v = avg.value(s, p);
    out.push(v.w.dataSync()[0]);
    disposeTree([v, p]);
  });
  disposeTree(s);
  return out;
}

describe('paramAverage', () => {
  it('ema with debiasing (Optax ema): β = 0.5, x = 2, 4', async () => {
    await expectNoLeak(() => {
      // a₁ = 0.5·0 + 0.5·2 = 1 → 1/(1 − 0.5) = 2; a₂ = 0.5·1 + 0.5·4 = 2.5 → 2.5/(1 − 0.25) = 10/3
      expect(values({ ema: 0.5 }, [2, 4])).toEqual([2, expect.closeTo(10 / 3, 6)]);
      // without debiasing: 1, 2.5
      expect(values({ ema: 0.5, debias: false }, [2, 4])).toEqual([1, 2.5]);
    });
  });

  it('swa (AveragedModel): equal average from start, every k steps; the parameters before start', () => {
    // start 3: steps 1–2 report x itself (1, 2); steps 3, 4, 5 average 3, 4, 5: 3, 3.5, 4
    expect(values({ swa: { start: 3 } }, [1, 2, 3, 4, 5])).toEqual([1, 2, 3, 3.5, 4]);
    // start 2, every 2: steps 2 and 4 averaged: 2, then (2 + 4)/2 = 3 (step 3's x = 9 is not taken in)
    expect(values({ swa: { start: 2, every: 2 } }, [1, 2, 9, 4, 7])).toEqual([1, 2, 2, 3, 3]);
  });

  it('rejects bad methods, naming the field', () => {
    expect(() => paramAverage({} as AverageMethod)).toThrow('`method`');
    expect(() => paramAverage({ ema: 1 })).toThrow('Expected `ema` in [0, 1), got 1');
    expect(() => paramAverage({ swa: { start: 0 } })).toThrow('Expected `swa.start` an integer ≥ 1, got 0');
    expect(() => paramAverage({ swa: { start: 1, every: 0 } })).toThrow('`swa.every`');
    const avg = paramAverage({ ema: 0.9 });
    const s = avg.init({ w: tf.zeros([2]) });
    const p = { w: tf.zeros([3]) };
    expect(() => avg.update(s, p, 1)).toThrow('shape [2]');
    disposeTree([s, p]);
  });
});

describe('withValues', () => {
  it('swaps values in for fn and puts the exact former values back, also on a throw', async () => {
    const params = { w: tf.variable(tf.tensor([1.1, 2.2])) };
    const other = { w: tf.tensor([5, 6]) };
    await expectNoLeak(() => {
      expect(withValues(params, other, () => Array.from(params.w.dataSync()))).toEqual([5, 6]);
      expect(Array.from(params.w.dataSync())).toEqual(Array.from(Float32Array.from([1.1, 2.2])));
      expect(() => withValues(params, other, () => { throw new Error('x'); })).toThrow('x');
      expect(Array.from(params.w.dataSync())).toEqual(Array.from(Float32Array.from([1.1, 2.2])));
      const bad = { w: tf.tensor([1]) };
      expect(() => withValues(params, bad, () => 0)).toThrow('values.w');
      bad.w.dispose();
    });
    disposeTree([params, other]);
  });
});
