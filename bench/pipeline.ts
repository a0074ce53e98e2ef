/**
 * The pipeline against a hand-written tfjs loop on the airfoil model (minibatch SGD, batch 10,
 * lr 0.05, one epoch = 150 steps), same backend, same batches, same loss, run in lockstep (one
 * step of each in turn) and, as a cross-check, in alternating whole epochs. Both read the loss of
 * every step, as a training loop that logs it does, and both are timed from the raw rows (turning
 * them into shuffled batches is part of each epoch). Prints ms/step for each and the ratio.
 */
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom, tap } from 'rxjs';
import { sgd } from '../src/index';
import { linearRegression, type LinearRegression } from '../src/models/linearRegression';
import { airfoil } from '../streams/sources/airfoil';
import { minibatches } from '../streams/sources/minibatches';
import { gradients } from '../streams/operators/gradients';
import { optimize } from '../streams/operators/optimize';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { mulberry32 } from '../streams/sources/mulberry32';
import { median, pairedRatio, samples } from './measure';

const BATCH = 10;
const LR = 0.05;

/**
 * The loop a tfjs user writes by hand, one step at a time: batches gathered from the raw rows in
 * the same shuffled order as `minibatches`, `optimizer.minimize`, the loss read back. Building it
 * is its preparation (flatten the rows, shuffle), as subscribing is the pipeline's.
 */
function handWritten(data: ReturnType<typeof airfoil>, model: LinearRegression): { step(): void; dispose(): void } {
  const optimizer = tf.train.sgd(LR);
  const n = data.xs.length;
  const xs = Float32Array.from(data.xs.flat());
  const ys = Float32Array.from(data.ys);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let from = 0;
  return {
    step: () => {
      const bx = new Float32Array(BATCH * 5);
      const by = new Float32Array(BATCH);
      for (let k = 0; k < BATCH; k++) {
        bx.set(xs.subarray(order[from + k] * 5, order[from + k] * 5 + 5), k * 5);
        by[k] = ys[order[from + k]];
      }
      const batch = { xs: tf.tensor2d(bx, [BATCH, 5]), ys: tf.tensor2d(by, [BATCH, 1]) };
      const cost = optimizer.minimize(() => model.loss(model.params, batch), true, [model.params.w, model.params.b]);
      cost!.dataSync();
      tf.dispose([cost!, batch.xs, batch.ys]);
      from += BATCH;
    },
    dispose: () => optimizer.dispose(),
  };
}

/**
 * One epoch of both in lockstep: every step of the pipeline is followed by one step of the
 * hand-written loop, each timed on its own (the pipeline's from the end of the previous loop step
 * to its StepResult, subscription and completion included), so that a slow moment of the machine
 * hits both alike. Returns ms/step of each.
 */
async function lockstepEpoch(data: ReturnType<typeof airfoil>): Promise<{ rxgrad: number; tfjs: number }> {
  const ours = linearRegression(5, { seed: 1 });
  const theirs = linearRegression(5, { seed: 1 });
  let handMs = 0;
  let rxMs = 0;
  const t0 = performance.now();
  const hand = handWritten(data, theirs);
  let mark = performance.now();
  handMs += mark - t0;
  const last = await lastValueFrom(
    minibatches(data, { batchSize: BATCH, shuffle: true, seed: 1 }).pipe(
      gradients(ours.loss, ours.params),
      optimize(sgd({ lr: LR })),
      applyUpdates(ours.params),
      tap(() => {
        const t = performance.now();
        rxMs += t - mark;
        hand.step();
        mark = performance.now();
        handMs += mark - t;
      }),
    ),
  );
  rxMs += performance.now() - mark;
  hand.dispose();
  ours.dispose();
  theirs.dispose();
  return { rxgrad: rxMs / last.step, tfjs: handMs / last.step };
}

/** One epoch of the pipeline alone, timed from subscribing (the raw rows) to completion; ms/step. */
async function rxgradEpoch(data: ReturnType<typeof airfoil>): Promise<number> {
  const model = linearRegression(5, { seed: 1 });
  const t0 = performance.now();
  const last = await lastValueFrom(
    minibatches(data, { batchSize: BATCH, shuffle: true, seed: 1 }).pipe(gradients(model.loss, model.params), optimize(sgd({ lr: LR })), applyUpdates(model.params)),
  );
  const ms = (performance.now() - t0) / last.step;
  model.dispose();
  return ms;
}

/** One epoch of the hand-written loop alone, timed from the raw rows; ms/step. */
function handWrittenEpoch(data: ReturnType<typeof airfoil>): number {
  const model = linearRegression(5, { seed: 1 });
  const t0 = performance.now();
  const hand = handWritten(data, model);
  const steps = data.xs.length / BATCH;
  for (let i = 0; i < steps; i++) hand.step();
  const ms = (performance.now() - t0) / steps;
  hand.dispose();
  model.dispose();
  return ms;
}

/** Medians of ms/step of each and their ratio (the median of the per-round ratios, see `pairedRatio`). */
export interface PipelineFigures {
  readonly rxgrad: number;
  readonly tfjs: number;
  readonly ratio: number;
}

/**
 * Run the comparison two ways, after 5 warm-up epochs of each (both measured JIT-warm):
 *
 * 1. `lockstep`: `rounds` lockstep epochs (see `lockstepEpoch`);
 * 2. `alternating`: `alternating` rounds of one whole epoch of each in turn (A B B A …), the
 *    design of the first version of this benchmark, as a cross-check.
 */
export async function benchPipeline(rounds = 201, alternating = 61): Promise<{ lockstep: PipelineFigures; alternating: PipelineFigures }> {
  const data = airfoil();
  for (let w = 0; w < 5; w++) await lockstepEpoch(data);
  const rx: number[] = [];
  const hand: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const e = await lockstepEpoch(data);
    rx.push(e.rxgrad);
    hand.push(e.tfjs);
  }
  const t = await samples({ rxgrad: () => rxgradEpoch(data), tfjs: () => handWrittenEpoch(data) }, alternating, 5);
  return {
    lockstep: { rxgrad: median(rx), tfjs: median(hand), ratio: pairedRatio(rx, hand) },
    alternating: { rxgrad: median(t.rxgrad), tfjs: median(t.tfjs), ratio: pairedRatio(t.rxgrad, t.tfjs) },
  };
}
