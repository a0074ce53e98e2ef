import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { lastValueFrom, take, toArray } from 'rxjs';
import { adam, sgd } from '../../src/index';
import { linearRegression } from '../../src/models/linearRegression';
import type { Transform } from '../../src/types';
import { airfoil } from '../../streams/sources/airfoil';
import { minibatches } from '../../streams/sources/minibatches';
import { gradients } from '../../streams/operators/gradients';
import { learningRate } from '../../streams/operators/learningRate';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import type { StepResult } from '../../streams/Step';
import { expectNoLeak } from '../helpers';

const data = airfoil();

/** The airfoil pipeline; `failAt` makes the loss function throw at that step. */
function pipeline(transform: Transform<unknown>, options: { epochs?: number; batchSize?: number; failAt?: number } = {}) {
  const model = linearRegression(5, { seed: 1 });
  let calls = 0;
  const loss: typeof model.loss = (p, b) => {
    if (++calls === options.failAt) throw new Error(`loss failed at step ${calls}`);
    return model.loss(p, b);
  };
  const run = minibatches(data, { batchSize: options.batchSize ?? 10, epochs: options.epochs ?? 1, shuffle: true, seed: 1 }).pipe(
    gradients(loss, model.params),
    learningRate(0.01),
    optimize(transform),
    applyUpdates(model.params),
  );
  return { model, run };
}

describe('a whole pipeline keeps tf.memory().numTensors flat', () => {
  for (const [name, make] of [
    ['sgd', () => sgd({ lr: 0.05 })],
    ['adam', () => adam({ lr: 0.01 })],
  ] as const) {
    it(`${name}: after it completes`, async () => {
      await expectNoLeak(async () => {
        const { model, run } = pipeline(make());
        const rs = await lastValueFrom(run.pipe(toArray()));
        expect(rs).toHaveLength(150);
        expect(rs[149].loss).toBeLessThan(rs[0].loss);
        model.dispose();
      });
    });

    it(`${name}: after it errors midway`, async () => {
      await expectNoLeak(async () => {
        const { model, run } = pipeline(make(), { failAt: 50 });
        const seen: StepResult[] = [];
        await expect(
          new Promise((resolve, reject) => run.subscribe({ next: (r) => seen.push(r), error: reject, complete: () => resolve(seen) })),
        ).rejects.toThrow('loss failed at step 50');
        expect(seen).toHaveLength(49);
        model.dispose();
      });
    });

    it(`${name}: after an early unsubscribe and after take(n)`, async () => {
      await expectNoLeak(async () => {
        const { model, run } = pipeline(make());
        const rs = await lastValueFrom(run.pipe(take(7), toArray()));
        expect(rs.map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        const sub = pipeline(make(), { epochs: 50 });
        const subscription = sub.run.subscribe(() => {});
        subscription.unsubscribe();
        model.dispose();
        sub.model.dispose();
      });
    });
  }

  it('over 10,000 steps (adam, batch 10): the count at step 100 is the count at step 10,000', async () => {
    await expectNoLeak(async () => {
      const { model, run } = pipeline(adam({ lr: 0.01 }), { epochs: 67 });
      const counts = new Map<number, number>();
      await new Promise<void>((resolve, reject) =>
        run.pipe(take(10_000)).subscribe({
          next: (r) => {
            if (r.step % 100 === 0) counts.set(r.step, tf.memory().numTensors);
          },
          error: reject,
          complete: resolve,
        }),
      );
      expect(counts.size).toBe(100);
      expect(new Set(counts.values()).size).toBe(1);
      model.dispose();
    });
  });
});
