/**
 * Issue 9, item 6, with online learning in the pipe: any RxJS operator a user places between
 * rxgrad operators leaks nothing — also between an online source (replay, fromExamples) and
 * the online operators (progressiveValidation, detectDrift), and with a whole run repeated.
 * Each case: numTensors after the run (complete, or the error a throwing tap caused) equals
 * numTensors before it.
 */
import {
  asyncScheduler,
  debounceTime,
  delay,
  filter,
  from,
  interval,
  lastValueFrom,
  observeOn,
  repeat,
  retry,
  sample,
  skip,
  take,
  tap,
  throttleTime,
  toArray,
  type MonoTypeOperatorFunction,
  type Observable,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import { adwin } from '../../src/drift/adwin';
import { accuracy } from '../../src/metrics/accuracy';
import { noChange } from '../../src/metrics/noChange';
import { logisticRegression } from '../../src/models/logisticRegression';
import { adam } from '../../src/optimizers/adam';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { detectDrift } from '../../streams/operators/detectDrift';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { fromExamples } from '../../streams/sources/fromExamples';
import { replay } from '../../streams/sources/replay';
import type { StepResult } from '../../streams/Step';
import { expectNoLeak } from '../helpers';

// 40 examples, 2 features, label 1 when x0 > x1: 10 steps of 4.
const xs = Array.from({ length: 40 }, (_, i) => [((i * 7) % 11) / 10, ((i * 5) % 13) / 12]);
const ys = xs.map(([a, b]) => (a > b ? 1 : 0));

type Op = MonoTypeOperatorFunction<any>;
const same: Op = (s) => s;
const failAt3: Op = tap((s: { step: number }) => {
  if (s.step === 3) throw new Error('tap failed at step 3');
});

const sources: Record<string, () => Observable<any>> = {
  'replay (synchronous)': () => replay({ xs, ys }, { batchSize: 4 }),
  'fromExamples (push)': () => fromExamples(from(xs.map((x, i) => ({ x, y: ys[i] }))), { batchSize: 4 }),
};
const ops: Record<string, () => Op> = {
  filter: () => filter((s: { step: number }) => s.step % 3 === 0),
  skip: () => skip(3),
  take: () => take(2),
  throttleTime: () => throttleTime(1),
  debounceTime: () => debounceTime(1),
  sample: () => sample(interval(1)),
  'a throwing tap': () => failAt3,
  'retry after a throwing tap': () => (s: Observable<any>) => s.pipe(failAt3, retry(1)),
  delay: () => delay(1),
  observeOn: () => observeOn(asyncScheduler),
};
const positions = ['source', 'progressiveValidation', 'detectDrift', 'gradients', 'optimize'] as const;

/** source → progressiveValidation → detectDrift → gradients → adam → applyUpdates, `op` right after the operator named by `at`. */
async function run(source: () => Observable<any>, op: Op, at: (typeof positions)[number], times: number): Promise<number[]> {
  const model = logisticRegression(2);
  const after = (here: (typeof positions)[number]) => (here === at ? op : same);
  const once = source().pipe(
    after('source'),
    progressiveValidation(model, { metrics: [accuracy()], baselines: [noChange()] }),
    after('progressiveValidation'),
    detectDrift(adwin()),
    after('detectDrift'),
    gradients(model.loss, model.params),
    after('gradients'),
    optimize(adam({ lr: 0.1 })),
    after('optimize'),
    applyUpdates(model.params),
  ) as Observable<StepResult>; // pipe's typed overloads stop at 9 operators
  const steps: number[] = [];
  await lastValueFrom(once.pipe(repeat(times), tap((r) => steps.push(r.step)), toArray())).catch((err: Error) => {
    if (err.message !== 'tap failed at step 3') throw err;
  });
  model.dispose();
  return steps;
}

describe('foreign operators with online sources and operators (numTensors unchanged after the run)', () => {
  it('without a foreign operator, every step of every repetition reaches applyUpdates', async () => {
    for (const source of Object.values(sources)) expect(await run(source, same, 'source', 2)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  for (const [name, source] of Object.entries(sources)) {
    for (const [opName, op] of Object.entries(ops)) {
      for (const at of positions) {
        it(`${name} → … ${at} → ${opName} → …, once and repeated`, async () => {
          await expectNoLeak(() => run(source, op(), at, 1));
          await expectNoLeak(() => run(source, op(), at, 2));
        });
      }
    }
  }
});
