/**
 * The pipeline against a hand-written tfjs loop on the airfoil model (minibatch SGD, batch 10,
 * lr 0.05, one epoch = 150 steps), same backend, same batches, same loss. Both read the loss
 * of every step, as a training loop that logs it does, and both are timed from the raw rows
 * (turning them into shuffled batches is part of each epoch). Prints ms/step for each and the
 * ratio.
 */
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { sgd } from '../src/index';
import { linearRegression } from '../src/models/linearRegression';
import { airfoil } from '../streams/sources/airfoil';
import { minibatches } from '../streams/sources/minibatches';
import { gradients } from '../streams/operators/gradients';
import { optimize } from '../streams/operators/optimize';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { mulberry32 } from '../streams/sources/mulberry32';
import { cpuMs, median, pairedRatio, samples } from './measure';

const BATCH = 10;
const LR = 0.05;

/** One epoch of the rxgrad pipeline; returns ms per step. */
async function rxgradEpoch(data: ReturnType<typeof airfoil>): Promise<number> {
  const model = linearRegression(5, { seed: 1 });
  const t0 = cpuMs();
  const last = await lastValueFrom(
    minibatches(data, { batchSize: BATCH, shuffle: true, seed: 1 }).pipe(
      gradients(model.loss, model.params),
      optimize(sgd({ lr: LR })),
      applyUpdates(model.params),
    ),
  );
  const ms = (cpuMs() - t0) / last.step;
  model.dispose();
  return ms;
}

/** One epoch of the loop a tfjs user writes by hand: batches, optimizer.minimize, read the loss. */
function handWrittenEpoch(data: ReturnType<typeof airfoil>): number {
  const model = linearRegression(5, { seed: 1 });
  const optimizer = tf.train.sgd(LR);
  // Timed from the raw rows, as the pipeline is (minibatches validates, copies and shuffles them
  // when subscribed): the same work on both sides.
  const t0 = cpuMs();
  const n = data.xs.length;
  const xs = Float32Array.from(data.xs.flat());
  const ys = Float32Array.from(data.ys);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  const rand = mulberry32(1);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let steps = 0;
  for (let from = 0; from < n; from += BATCH) {
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
    steps++;
  }
  const ms = (cpuMs() - t0) / steps;
  optimizer.dispose();
  model.dispose();
  return ms;
}

/**
 * Run the comparison: the median ms/step of each, and the ratio rxgrad / tfjs as the median of
 * the per-round ratios (each round times both moments apart; see `pairedRatio`).
 */
export async function benchPipeline(rounds = 15): Promise<{ rxgrad: number; tfjs: number; ratio: number }> {
  const data = airfoil();
  // A few epochs of each before timing, so that both are measured compiled (JIT-warm).
  const t = await samples({ rxgrad: () => rxgradEpoch(data), tfjs: () => handWrittenEpoch(data) }, rounds, 5);
  return { rxgrad: median(t.rxgrad), tfjs: median(t.tfjs), ratio: pairedRatio(t.rxgrad, t.tfjs) };
}
