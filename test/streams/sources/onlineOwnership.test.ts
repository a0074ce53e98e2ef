import * as tf from '@tensorflow/tfjs';
import { asyncScheduler, delay, filter, from, lastValueFrom, observeOn, tap, toArray, type MonoTypeOperatorFunction, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ExampleBatch } from '../../../src/ExampleBatch';
import { accuracy } from '../../../src/metrics/accuracy';
import { noChange } from '../../../src/metrics/noChange';
import { logisticRegression } from '../../../src/models/logisticRegression';
import { sgd } from '../../../src/optimizers/sgd';
import { applyUpdates } from '../../../streams/operators/applyUpdates';
import { gradients } from '../../../streams/operators/gradients';
import { optimize } from '../../../streams/operators/optimize';
import { progressiveValidation } from '../../../streams/operators/progressiveValidation';
import { fromExamples } from '../../../streams/sources/fromExamples';
import { replay } from '../../../streams/sources/replay';
import type { Step } from '../../../streams/Step';
import { expectNoLeak } from '../../helpers';

// 24 examples, 2 features, a label that is 1 when x0 > x1 (a fixed, easy stream).
const xs = Array.from({ length: 24 }, (_, i) => [((i * 7) % 11) / 10, ((i * 5) % 13) / 12]);
const ys = xs.map(([a, b]) => (a > b ? 1 : 0));

type Op = MonoTypeOperatorFunction<Step<ExampleBatch>>;
const sources: Record<string, () => Observable<Step<ExampleBatch>>> = {
  'replay (synchronous)': () => replay({ xs, ys }, { batchSize: 4 }),
  'replay (at a rate)': () => replay({ xs, ys }, { batchSize: 4, rate: 1e5 }),
  'fromExamples (a push source)': () => fromExamples(from(xs.map((x, i) => ({ x, y: ys[i] }))), { batchSize: 4 }),
};

/** The run: source → op → test-then-train → gradients → op2 → sgd; the parameters, accuracy, noChange and numTensors seen at every result. */
async function run(source: () => Observable<Step<ExampleBatch>>, op: Op, op2: MonoTypeOperatorFunction<Step<any>> = (s) => s) {
  const model = logisticRegression(2);
  const live: number[] = [];
  const results = await lastValueFrom(
    source().pipe(
      op,
      progressiveValidation(model, { metrics: [accuracy()], baselines: [noChange()] }),
      gradients(model.loss, model.params),
      op2,
      optimize(sgd({ lr: 0.5 })),
      applyUpdates(model.params),
      tap(() => live.push(tf.memory().numTensors)),
      toArray(),
    ),
  );
  const last = results[results.length - 1];
  const out = {
    steps: results.map((r) => r.step),
    params: Object.fromEntries(Object.entries(model.params).map(([k, v]) => [k, Array.from(v.dataSync())])),
    online: last.online,
    live,
  };
  model.dispose();
  return out;
}

describe('a delay or observeOn after an online source', () => {
  // The source opens its run with RunScope.open, so the operators downstream hold it from their
  // subscription: a step travelling through the delay is never freed early, steps dropped
  // downstream are freed, and nothing is left when the run ends (complete or unsubscribe).
  const ops: [string, Op][] = [
    ['delay(1)', delay(1)],
    ['observeOn(async)', observeOn(asyncScheduler)],
  ];
  const same: Op = (s) => s;
  for (const [name, source] of Object.entries(sources)) {
    for (const [opName, op] of ops) {
      it(`${name} → ${opName}: every step arrives with the values of a run without it; numTensors flat, nothing left`, async () => {
        const plain = await run(source, same);
        await expectNoLeak(async () => {
          const got = await run(source, op);
          expect(got.steps).toEqual([1, 2, 3, 4, 5, 6]);
          expect(got.params).toEqual(plain.params);
          expect(got.online).toEqual(plain.online);
          // the same number of tensors alive at every result: none pile up
          expect(new Set(got.live).size).toBe(1);
        });
      });

      it(`${name} → ${opName}, steps dropped after gradients: the dropped steps are freed`, async () => {
        await expectNoLeak(async () => {
          const got = await run(source, op, filter((s) => s.step % 2 === 1));
          expect(got.steps).toEqual([1, 3, 5]);
        });
      });

      it(`${name} → gradients → ${opName}: the steps travelling with their gradients reach applyUpdates`, async () => {
        await expectNoLeak(async () => {
          const got = await run(source, same, op as MonoTypeOperatorFunction<Step<any>>);
          expect(got.steps).toEqual([1, 2, 3, 4, 5, 6]);
          expect(Object.values(got.params).flat().every(Number.isFinite)).toBe(true);
        });
      });

      it(`${name} → ${opName}: an unsubscribe while steps wait frees them`, async () => {
        await expectNoLeak(async () => {
          const model = logisticRegression(2);
          const before = tf.memory().numTensors;
          await new Promise<void>((done) => {
            const sub = source()
              .pipe(
                op,
                gradients(model.loss, model.params),
                delay(20),
                optimize(sgd({ lr: 0.5 })),
                applyUpdates(model.params),
              )
              .subscribe({ error: done });
            setTimeout(() => {
              expect(tf.memory().numTensors).toBeGreaterThan(before); // gradients held by the delay
              sub.unsubscribe();
              done();
            }, 10);
          });
          model.dispose();
        });
      });
    }
  }
});
