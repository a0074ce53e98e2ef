/**
 * The pipeline against a hand-written tfjs loop on the airfoil model (minibatch SGD, batch 10,
 * lr 0.05, one epoch = 150 steps), same backend, same batches, same loss, run in lockstep (one
 * step of each in turn) and, as a cross-check, in alternating whole epochs. Both read the loss of
 * every step, as a training loop that logs it does, and both are timed from the raw rows (turning
 * them into shuffled batches is part of each epoch). Prints ms/step for each and the ratio.
 *
 * `benchFastPath` puts the pipeline `minibatches → gradients → learningRate → optimize(sgd) →
 * applyUpdates` as a user writes it (the fused path, chosen on its own for the model's loss, and
 * the general path with `gradients(…, { fast: false })`) beside the hand-written tfjs loop and a
 * plain-JS loop doing the same arithmetic on Float32Arrays, in interleaved whole epochs.
 * `npx tsx bench/pipeline.ts [rounds]` runs it alone.
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { lastValueFrom, tap } from 'rxjs';
import { sgd } from '../src/index';
import { linearRegression, type LinearRegression } from '../src/models/linearRegression';
import { airfoil } from '../streams/sources/airfoil';
import { minibatches } from '../streams/sources/minibatches';
import { gradients } from '../streams/operators/gradients';
import { learningRate } from '../streams/operators/learningRate';
import { optimize } from '../streams/operators/optimize';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { mulberry32 } from '../streams/sources/mulberry32';
import { shuffleInPlace } from '../streams/sources/shuffleInPlace';
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
  shuffleInPlace(order, mulberry32(1));
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
      learningRate(LR),
      optimize(sgd()),
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

/** Whether the last epoch of the pipeline as written ran on the fused path (`info.fused`). */
let fusedTaken = true;

/** One epoch of the pipeline alone, timed from subscribing (the raw rows) to completion; ms/step. */
async function rxgradEpoch(data: ReturnType<typeof airfoil>, fast: boolean | 'auto' = 'auto'): Promise<number> {
  const model = linearRegression(5, { seed: 1 });
  const t0 = performance.now();
  const last = await lastValueFrom(
    minibatches(data, { batchSize: BATCH, shuffle: true, seed: 1 }).pipe(gradients(model.loss, model.params, { fast }), learningRate(LR), optimize(sgd()), applyUpdates(model.params)),
  );
  const ms = (performance.now() - t0) / last.step;
  if (fast === 'auto') fusedTaken &&= last.info.fused === 1;
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

/**
 * One epoch of the same minibatch SGD in plain JavaScript, timed from the raw rows like the
 * others (rows flattened, the same seeded shuffle): per step, gather the batch, r = Xw + b − y,
 * L = Σ r²/(2n) (kept, as the pipeline reports it), w −= η Xᵀr/n, b −= η Σ r/n. ms/step.
 */
function plainEpoch(data: ReturnType<typeof airfoil>): number {
  const t0 = performance.now();
  const n = data.xs.length;
  const d = 5;
  const xs = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) xs[i * d + j] = data.xs[i][j];
  const ys = Float32Array.from(data.ys);
  const order = Uint32Array.from({ length: n }, (_, i) => i);
  shuffleInPlace(order, mulberry32(1));
  const w = new Float32Array(d);
  const gw = new Float32Array(d);
  const r = new Float32Array(BATCH);
  const bx = new Float32Array(BATCH * d);
  let b = 0;
  let losses = 0;
  const steps = Math.ceil(n / BATCH);
  for (let s = 0; s < steps; s++) {
    const size = Math.min(BATCH, n - s * BATCH);
    let loss = 0;
    for (let k = 0; k < size; k++) {
      const row = order[s * BATCH + k];
      let z = b;
      for (let j = 0; j < d; j++) z += (bx[k * d + j] = xs[row * d + j]) * w[j];
      r[k] = z - ys[row];
      loss += r[k] * r[k];
    }
    losses += loss / (2 * size);
    gw.fill(0);
    let gb = 0;
    for (let k = 0; k < size; k++) {
      for (let j = 0; j < d; j++) gw[j] += bx[k * d + j] * r[k];
      gb += r[k];
    }
    for (let j = 0; j < d; j++) w[j] -= (LR * gw[j]) / size;
    b -= (LR * gb) / size;
  }
  if (!Number.isFinite(losses)) throw new Error('plain loop diverged');
  return (performance.now() - t0) / steps;
}

/** ms/step (medians) of the pipeline with and without its fast path, the hand-written tfjs loop and the plain-JS loop, and the paired ratios. */
export interface FastPathFigures {
  readonly fast: number;
  readonly general: number;
  readonly tfjs: number;
  readonly plain: number;
  /** Whether every epoch of the pipeline as written ran on the fused path. */
  readonly fused: boolean;
  /** fast / plain, fast / tfjs, general / plain (medians of per-round ratios). */
  readonly fastVsPlain: number;
  readonly fastVsTfjs: number;
  readonly generalVsPlain: number;
  /** The same ratios by the process's CPU time per epoch (steadier on a shared machine). */
  readonly cpu: { readonly fastVsPlain: number; readonly fastVsTfjs: number; readonly generalVsPlain: number };
}

/**
 * The airfoil step four ways in `rounds` interleaved whole epochs (after 5 warm-up epochs each):
 * the pipeline as a user writes it (fast path chosen on its own), the same pipeline with
 * `{ fast: false }`, the hand-written tfjs loop and the plain-JS loop.
 *
 * @example
 * const f = await benchFastPath(15); // f.fastVsPlain: target ≤ 5; f.fastVsTfjs: target ≤ 0.1
 */
export async function benchFastPath(rounds = 15): Promise<FastPathFigures> {
  const data = airfoil();
  const cpu: Record<'fast' | 'general' | 'tfjs' | 'plain', number[]> = { fast: [], general: [], tfjs: [], plain: [] };
  // Each variant's CPU time per epoch beside its own wall-time figure (ratios of the same epochs' steps cancel the count).
  const withCpu = (name: keyof typeof cpu, f: () => number | Promise<number>) => async () => {
    const c0 = process.cpuUsage();
    const ms = await f();
    const c = process.cpuUsage(c0);
    cpu[name].push(c.user + c.system);
    return ms;
  };
  const warmup = 5;
  const t = await samples(
    {
      fast: withCpu('fast', () => rxgradEpoch(data)),
      general: withCpu('general', () => rxgradEpoch(data, false)),
      tfjs: withCpu('tfjs', () => handWrittenEpoch(data)),
      plain: withCpu('plain', () => plainEpoch(data)),
    },
    rounds,
    warmup,
  );
  const c = { fast: cpu.fast.slice(warmup), general: cpu.general.slice(warmup), tfjs: cpu.tfjs.slice(warmup), plain: cpu.plain.slice(warmup) };
  return {
    fast: median(t.fast),
    general: median(t.general),
    tfjs: median(t.tfjs),
    plain: median(t.plain),
    fused: fusedTaken,
    fastVsPlain: pairedRatio(t.fast, t.plain),
    fastVsTfjs: pairedRatio(t.fast, t.tfjs),
    generalVsPlain: pairedRatio(t.general, t.plain),
    cpu: { fastVsPlain: pairedRatio(c.fast, c.plain), fastVsTfjs: pairedRatio(c.fast, c.tfjs), generalVsPlain: pairedRatio(c.general, c.plain) },
  };
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

// `npx tsx bench/pipeline.ts [rounds]`: the airfoil comparison of `benchFastPath` alone.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 15);
  const f = await benchFastPath(rounds);
  const us = (ms: number) => `${(ms * 1000).toFixed(2)} µs`;
  console.log(`airfoil step (linear regression, batch 10, SGD, learningRate), backend ${tf.getBackend()}, medians of ${rounds} interleaved epochs (fused path taken: ${f.fused}):`);
  console.log(`  pipeline as written ${us(f.fast)}, fast: false ${us(f.general)}, hand-written tfjs ${us(f.tfjs)}, plain JS ${us(f.plain)} per step`);
  console.log(`  pipeline/plain ${f.fastVsPlain.toFixed(1)}× (target ≤ 5×), pipeline/tfjs ${f.fastVsTfjs.toFixed(3)}× (target ≤ 0.1×), fast: false/plain ${f.generalVsPlain.toFixed(1)}×`);
  console.log(`  by CPU time: pipeline/plain ${f.cpu.fastVsPlain.toFixed(1)}×, pipeline/tfjs ${f.cpu.fastVsTfjs.toFixed(3)}×, fast: false/plain ${f.cpu.generalVsPlain.toFixed(1)}×`);
}
