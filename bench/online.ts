/**
 * `npm run bench -- --online` (or `npx tsx bench/online.ts [rounds] [examples]` for this table
 * alone): examples/s of online logistic regression (100 features, batch 1, test-then-train, plain
 * SGD) through rxgrad's public API — as a user writes it (`replay → progressiveValidation →
 * gradients → optimize(sgd) → applyUpdates`: the fused path, chosen on its own) and with
 * `gradients(…, { fast: false })` (the general tfjs path) — beside a hand-written plain-JS loop and
 * a hand-written tfjs loop doing the same, in interleaved rounds of the same run.
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { accuracy, logisticRegression, sgd } from '../src/index';
import type { ExampleTable } from '../src/online/ExampleTable';
import { applyUpdates, gradients, mulberry32, optimize, progressiveValidation, replay } from '../streams/index';
import { median, pairedRatio, samples } from './measure';

/** Examples per second of each path (medians over rounds) and their paired ratio. */
export interface OnlineFigures {
  /** Examples per second of wall time: the pipeline as written (fused path), with `fast: false`, the plain loop, the tfjs loop. */
  readonly rxgrad: number;
  readonly general: number;
  readonly plain: number;
  readonly tfjs: number;
  /** Whether every result of the pipeline as written came from the fused path (`info.fused`). */
  readonly fused: boolean;
  /** Median over rounds of rxgrad / tfjs time per example (below 1: rxgrad is faster). */
  readonly tfjsRatio: number;
  /** Median over rounds of plain / general. */
  readonly generalRatio: number;
  /** Median over rounds of plain / rxgrad (how many times faster the plain loop is), wall time. */
  readonly ratio: number;
  /** The same per second of the process's CPU time (user + system): steadier on a shared machine. */
  readonly cpu: { readonly rxgrad: number; readonly general: number; readonly plain: number; readonly ratio: number; readonly generalRatio: number };
}

/** Run `f` and return its wall and CPU milliseconds. */
function timed(f: () => void | Promise<void>): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return Promise.resolve(f()).then(() => {
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
  });
}

/** A separable synthetic stream: x ~ U(−1, 1)^d, y = [x · w* > 0] for a fixed random w*. */
function stream(n: number, d: number): ExampleTable {
  const rand = mulberry32(1);
  const target = Array.from({ length: d }, () => rand() * 2 - 1);
  const xs = new Float32Array(n * d);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) z += (xs[i * d + j] = rand() * 2 - 1) * target[j];
    ys[i] = z > 0 ? 1 : 0;
  }
  return { n, d, xs, ys };
}

/**
 * The same test-then-train SGD by hand, on Float32Arrays: for each example, p = σ(b + x·w);
 * count ŷ = [p > ½] against y; then g = p − y, w −= η g x, b −= η g. Returns the accuracy (so
 * the work cannot be optimised away).
 */
function plainLoop(t: ExampleTable, passes: number, lr: number): number {
  const { n, d, xs, ys } = t;
  const w = new Float32Array(d);
  let b = 0;
  let right = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < n; i++) {
      let z = b;
      for (let j = 0; j < d; j++) z += xs[i * d + j] * w[j];
      const p = 1 / (1 + Math.exp(-z));
      if ((p > 0.5 ? 1 : 0) === ys[i]) right++;
      const g = p - ys[i];
      for (let j = 0; j < d; j++) w[j] -= lr * g * xs[i * d + j];
      b -= lr * g;
    }
  }
  return right / (n * passes);
}

/**
 * The same test-then-train SGD as a tfjs user writes it by hand: per example, predict with the
 * current parameters (read back, to score it), then `optimizer.minimize` the model's loss on it.
 * Returns the accuracy.
 */
function tfjsLoop(t: ExampleTable, lr: number): number {
  const { n, d, xs, ys } = t;
  const model = logisticRegression(d);
  const optimizer = tf.train.sgd(lr);
  const { w, b } = model.params;
  let right = 0;
  for (let i = 0; i < n; i++) {
    const x = tf.tensor2d(xs.subarray(i * d, (i + 1) * d), [1, d]);
    const y = tf.tensor2d([ys[i]], [1, 1]);
    const p = tf.tidy(() => tf.sigmoid(x.matMul(w).add(b)).dataSync()[0]);
    if ((p > 0.5 ? 1 : 0) === ys[i]) right++;
    optimizer.minimize(() => model.loss(model.params, { xs: x, ys: y }), false, [w, b]);
    tf.dispose([x, y]);
  }
  optimizer.dispose();
  model.dispose();
  return right / n;
}

/**
 * Measure the paths in `rounds` interleaved rounds (after one warm-up each): rxgrad replays
 * `examples` rows, the plain loop 100 times as many (so that each timing is long enough), the
 * tfjs loop a quarter as many (it is slow).
 *
 * @example
 * const f = await benchOnline(7, 2000); // f.rxgrad, f.plain examples/s; f.ratio; f.cpu.* by CPU time
 */
export async function benchOnline(rounds: number, examples: number): Promise<OnlineFigures> {
  const d = 100;
  const lr = 0.1;
  const table = stream(examples, d);
  const quarter = stream(Math.max(1, Math.floor(examples / 4)), d);
  const passes = 100;
  const wall: Record<'rxgrad' | 'general' | 'plain' | 'tfjs', number[]> = { rxgrad: [], general: [], plain: [], tfjs: [] };
  let fused = true;
  const round = async (name: 'rxgrad' | 'general' | 'plain' | 'tfjs', f: () => void | Promise<void>, count: number): Promise<number> => {
    const t = await timed(f);
    wall[name].push(t.wall / count);
    return t.cpu / count;
  };
  const pipeline = (name: 'rxgrad' | 'general', fast: 'auto' | false) => () => {
    const model = logisticRegression(d);
    const run = () =>
      lastValueFrom(
        replay(table, { batchSize: 1 }).pipe(
          progressiveValidation(model, { metrics: [accuracy()] }),
          gradients(model.loss, model.params, { fast }),
          optimize(sgd({ lr })),
          applyUpdates(model.params),
        ),
      ).then((last) => {
        if (name === 'rxgrad') fused &&= last.info.fused === 1;
      });
    return round(name, run, examples).finally(() => model.dispose());
  };
  const cpu = await samples(
    {
      rxgrad: pipeline('rxgrad', 'auto'),
      general: pipeline('general', false),
      plain: () => round('plain', () => void plainLoop(table, passes, lr), examples * passes),
      tfjs: () => round('tfjs', () => void tfjsLoop(quarter, lr), quarter.n),
    },
    rounds,
  );
  // Drop the warm-up call's wall time (samples makes one of each first).
  const w = { rxgrad: wall.rxgrad.slice(1), general: wall.general.slice(1), plain: wall.plain.slice(1), tfjs: wall.tfjs.slice(1) };
  return {
    rxgrad: 1000 / median(w.rxgrad),
    general: 1000 / median(w.general),
    plain: 1000 / median(w.plain),
    tfjs: 1000 / median(w.tfjs),
    fused,
    tfjsRatio: pairedRatio(w.rxgrad, w.tfjs),
    ratio: pairedRatio(w.rxgrad, w.plain),
    generalRatio: pairedRatio(w.general, w.plain),
    cpu: {
      rxgrad: 1000 / median(cpu.rxgrad),
      general: 1000 / median(cpu.general),
      plain: 1000 / median(cpu.plain),
      ratio: pairedRatio(cpu.rxgrad, cpu.plain),
      generalRatio: pairedRatio(cpu.general, cpu.plain),
    },
  };
}

// `npx tsx bench/online.ts [rounds] [examples]`: this table alone.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 7);
  const f = await benchOnline(rounds, Number(process.argv[3] ?? 2000));
  const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
  console.log(`online logistic regression, 100 features, batch 1, test-then-train, backend ${tf.getBackend()} (medians of ${rounds} interleaved rounds; fused path taken: ${f.fused}):`);
  console.log(`  wall: rxgrad ${fmt(f.rxgrad)} ex/s, fast: false ${fmt(f.general)}, hand-written tfjs ${fmt(f.tfjs)}, plain JS ${fmt(f.plain)}`);
  console.log(`  rxgrad/plain throughput ${(1 / f.ratio).toFixed(4)}× (target ≥ 0.3×), fast: false/plain ${(1 / f.generalRatio).toFixed(4)}×, rxgrad time/tfjs time ${f.tfjsRatio.toFixed(3)}×`);
  console.log(`  CPU time: rxgrad/plain ${(1 / f.cpu.ratio).toFixed(4)}×, fast: false/plain ${(1 / f.cpu.generalRatio).toFixed(4)}×`);
}
