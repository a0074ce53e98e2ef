/**
 * The runs `npm run schedules` compares on the airfoil regression of *Dive into Deep Learning*
 * §12.5 (`demo/schedules.ts` prints them; `test/streams/hyper/airfoil.test.ts` checks them).
 *
 * Every run: y = Xw + b, loss (ŷ − y)²/2 averaged, w ~ N(0, 0.01²) (seed 1), b = 0, minibatch
 * SGD with batch 10 for 2 epochs (300 steps, shuffled with seed 1); the loss on all 1500 rows is
 * reported in `info.fullLoss` every 300 examples.
 */
import * as tf from '@tensorflow/tfjs';
import { Subject, filter, lastValueFrom, scan, tap, toArray, type OperatorFunction } from 'rxjs';
import { cosine, exponential, perEpoch, sgd, warmup } from '../src/index';
import { linearRegression } from '../src/models/linearRegression';
import type { Airfoil } from '../streams/sources/airfoil';
import { minibatches } from '../streams/sources/minibatches';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { evaluate } from '../streams/operators/evaluate';
import { gradients } from '../streams/operators/gradients';
import { learningRate } from '../streams/operators/learningRate';
import { optimize } from '../streams/operators/optimize';
import { reduceOnPlateau, type Metric } from '../streams/operators/reduceOnPlateau';
import type { Batch, Step, StepResult } from '../streams/Step';

/** Minibatch size of every run (the book's minibatch SGD). */
export const BATCH = 10;
/** Passes over the data (the book trains 2 epochs). */
export const EPOCHS = 2;
const STEPS = (1500 / BATCH) * EPOCHS;
const EVERY = 300; // examples between full-data evaluations

/** One column of the comparison: how the learning rate is put on each step. */
export interface ScheduleRun {
  readonly name: string;
  /** The hyperparameter operators, given a subject that receives every StepResult (for feedback). */
  readonly schedule: (results: Subject<StepResult>) => OperatorFunction<Step<Batch>, Step<Batch>>;
}

/** The book's constant rate, the book's per-epoch decay exercise, warmup + cosine, and cosine × plateau. */
export const scheduleRuns: readonly ScheduleRun[] = [
  { name: 'constant 0.05 (book)', schedule: () => learningRate(0.05) },
  // The book's exercise: lr 0.05 in epoch 1, 0.005 in epoch 2 — one expression.
  { name: '0.05, ÷10 per epoch', schedule: () => learningRate(perEpoch(exponential({ base: 0.05, gamma: 0.1 }))) },
  // 30 steps of linear warmup from 0, then a cosine from 0.1 to 0 over the remaining 270.
  { name: 'warmup 30 + cosine 0.1', schedule: () => learningRate(warmup(30, cosine({ base: 0.1, tMax: STEPS - 30 }))) },
  // A cosine multiplied by a plateau detector fed back a moving average of the training loss
  // (the metric of step t reaches the detector before step t + 1 starts: deterministic).
  {
    name: 'cosine 0.1 × plateau',
    schedule: (results) => (steps) => {
      const smoothed = results.pipe(
        scan((avg: Metric | undefined, r) => ({ step: r.step, epoch: r.epoch, value: avg ? 0.9 * avg.value + 0.1 * r.loss : r.loss }), undefined),
        filter((m): m is Metric => m !== undefined),
      );
      return steps.pipe(learningRate(cosine({ base: 0.1, tMax: STEPS })), reduceOnPlateau(smoothed, { factor: 0.5, patience: 30 }));
    },
  },
];

/**
 * Train one run from scratch and return the StepResults that carry a full-data loss
 * (`info.fullLoss`, every 300 examples, the last step included).
 *
 * @example
 * const rows = await trainAirfoil(scheduleRuns[1], airfoil());
 * rows[rows.length - 1].info.fullLoss; // ≈ 0.243
 */
export async function trainAirfoil(run: ScheduleRun, data: Airfoil): Promise<StepResult[]> {
  const model = linearRegression(5, { seed: 1 });
  const all = { xs: tf.tensor2d(data.xs), ys: tf.tensor2d(data.ys, [data.ys.length, 1]) };
  const fullLoss = () => tf.tidy(() => model.loss(model.params, all).dataSync()[0]);
  const results = new Subject<StepResult>();
  try {
    return await lastValueFrom(
      minibatches(data, { batchSize: BATCH, epochs: EPOCHS, shuffle: true, seed: 1 }).pipe(
        gradients(model.loss, model.params),
        run.schedule(results),
        optimize(sgd()),
        applyUpdates(model.params),
        tap(results),
        evaluate('fullLoss', fullLoss, { everyExamples: EVERY }),
        filter((r) => r.info.fullLoss !== undefined),
        toArray(),
      ),
    );
  } finally {
    model.dispose();
    tf.dispose(all);
  }
}
