import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { delay, lastValueFrom, map, repeat, tap, toArray, type Observable } from 'rxjs';
import { sgd } from '../../src/optimizers/sgd';
import type { Params } from '../../src/types';
import { minibatches } from '../../streams/sources/minibatches';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import type { Batch, Step } from '../../streams/Step';
import { expectNoLeak } from '../helpers';

const data = { xs: Array.from({ length: 20 }, (_, i) => [i / 20, 1 - i / 20]), ys: Array.from({ length: 20 }, (_, i) => i / 20) };
const loss = (p: Params, { xs, ys }: Batch) => tf.tidy(() => tf.losses.meanSquaredError(ys, xs.matMul(p.w)) as tf.Scalar);

describe('ownership: runs started inside a pipeline', () => {
  for (const yieldEveryMs of [undefined, 0]) {
    it(`repeat around a ${yieldEveryMs === undefined ? 'synchronous' : 'yielding'} source with a delay downstream`, async () => {
      const params = tf.tidy(() => ({ w: tf.variable(tf.zeros([2, 1])) }));
      await expectNoLeak(async () => {
        const rs = await lastValueFrom(
          (minibatches(data, { batchSize: 2, yieldEveryMs }) as Observable<Step<Batch>>).pipe(repeat(3), gradients(loss, params), delay(1), optimize(sgd({ lr: 0.1 })), applyUpdates(params), toArray()),
        );
        expect(rs).toHaveLength(30);
      });
      params.w.dispose();
    });
  }

  it('a pipeline run inside a tap of another frees its steps when it ends', async () => {
    const params = tf.tidy(() => ({ w: tf.variable(tf.zeros([2, 1])) }));
    await expectNoLeak(async () => {
      const counts: number[] = [];
      await lastValueFrom(
        (minibatches(data, { batchSize: 2, epochs: 3 }) as Observable<Step<Batch>>).pipe(
          gradients(loss, params),
          tap(() => minibatches(data, { batchSize: 20 }).pipe(map((s) => s.batch.xs.shape[0])).subscribe()),
          optimize(sgd({ lr: 0.1 })),
          applyUpdates(params),
          tap(() => counts.push(tf.memory().numTensors)),
          toArray(),
        ),
      );
      // the nested runs started at step 1, before the operators after the tap received anything, are held by them to the end
      expect(new Set(counts.slice(1)).size).toBe(1);
    });
    params.w.dispose();
  });
});
