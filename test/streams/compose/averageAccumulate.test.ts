import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, map, range, toArray } from 'rxjs';
import { accumulate, sgd, type Params } from '../../../src/index';
import { applyUpdates, averageParams, gradients, optimize } from '../../../streams/index';
import { expectNoLeak, tinyStep } from '../../helpers';

/** L = w·1 (the batch unused): g = 1 at every step. */
const loss = (p: Params) => tf.tidy(() => tf.sum(p.w)) as tf.Scalar;

describe('averageParams after accumulate', () => {
  it('averages the optimizer steps only (info.updated 0: the parameters have not moved)', async () => {
    const w = tf.variable(tf.tensor1d([1]));
    const seen: number[] = [];
    await expectNoLeak(async () => {
      const rs = await lastValueFrom(
        range(1, 4).pipe(
          map((k) => tinyStep(k)),
          gradients(loss, { w }),
          optimize(accumulate(2, sgd({ lr: 0.5 }))),
          applyUpdates({ w }),
          averageParams({ w }, { ema: 0.5, onAverage: (a) => seen.push(a.w.dataSync()[0]) }),
          toArray(),
        ),
      );
      // accumulate(2), sgd lr 0.5, g = 1: w = 1, 0.5, 0.5, 0 after steps 1–4; steps 2 and 4 update.
      // EMA β = 0.5 over the optimizer steps only (x = 0.5, then 0), debiased:
      //   step 2: a = 0.5·0 + 0.5·0.5 = 0.25, / (1 − 0.5) = 0.5
      //   step 4: a = 0.5·0.25 + 0.5·0 = 0.125, / (1 − 0.25) = 1/6
      // Steps 1 and 3 report the average as it stands (step 1: none yet, the parameters: 1).
      // (Averaging every micro-batch would give 0.2667 at step 4: the horizon k times shorter.)
      expect(rs.map((r) => r.info['average.count'])).toEqual([0, 1, 1, 2]);
      expect(seen[1]).toBeCloseTo(0.5, 6);
      expect(seen[2]).toBeCloseTo(0.5, 6);
      expect(seen[3]).toBeCloseTo(1 / 6, 6);
    });
    w.dispose();
  });
});
