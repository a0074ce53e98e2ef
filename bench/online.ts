/**
 * `npm run bench -- --online` (or `npx tsx bench/online.ts [rounds] [examples] [short]` for this
 * table alone): examples/s of online logistic regression (100 features, batch 1, test-then-train,
 * plain SGD) through rxgrad's public API — as a user writes it (`replay → progressiveValidation →
 * gradients → optimize(sgd) → applyUpdates`: the fused path, chosen on its own) and with
 * `gradients(…, { fast: false })` (the general tfjs path) — beside a hand-written plain-JS loop and
 * a hand-written tfjs loop doing the same, in interleaved rounds of the same run.
 *
 * What each round times (every side from the raw rows, its own setup included):
 * - rxgrad (fast path): one whole run over a stream of `examples` rows (default 20,000) — a new
 *   model, the subscription, every step; long enough that the per-run setup is a small part;
 * - rxgrad, short stream: one whole run over the first `short` rows (default 2,000), the same way:
 *   what a short stream costs (the setup spread over fewer examples);
 * - `fast: false`: one run over the short stream (its ~200 µs per example dwarf any setup);
 * - the plain-JS loop: as many passes over the `examples` rows as make ~200,000 examples (warm
 *   after its first pass; it has no setup);
 * - rxgrad's arithmetic alone (`arithmeticLoop`): the same passes, through the fused path's own
 *   numeric functions called directly, without the pipeline;
 * - the hand-written tfjs loop: a quarter of the short stream.
 * Each variant makes one untimed warm-up call first (`samples`); separately, before it, the
 * process's very first run over the short stream is timed (`first`: cold, V8 not yet warm — what
 * one short stream costs in a fresh process).
 */
import * as tf from '@tensorflow/tfjs';
import { pathToFileURL } from 'node:url';
import { lastValueFrom } from 'rxjs';
import { accuracy, logisticRegression, sgd } from '../src/index';
import { analyticOf } from '../src/fast/AnalyticLoss';
import { sgdPlainInPlace } from '../src/kernels/sgdKernel';
import type { ExampleTable } from '../src/online/ExampleTable';
import { applyUpdates, gradients, mulberry32, optimize, progressiveValidation, replay } from '../streams/index';
import { median, pairedRatio, samples } from './measure';
import { separableTable } from './separableTable';

/** Examples per second of each path (medians over rounds) and their paired ratios to the plain loop. */
export interface OnlineFigures {
  /** Examples per second of wall time: the pipeline as written (fused path) over the long stream, the same over the short one, with `fast: false`, the plain loop, the tfjs loop. */
  readonly rxgrad: number;
  readonly short: number;
  readonly general: number;
  readonly plain: number;
  readonly tfjs: number;
  /** Examples per second of rxgrad's arithmetic alone (`arithmeticLoop`). */
  readonly arithmetic: number;
  /** Median over rounds of plain / arithmetic time per example (rxgrad's arithmetic against the plain loop's), and of 1 − arithmetic / rxgrad (the part of a warm example that is not arithmetic: the pipeline's per-step work). */
  readonly arithmeticRatio: number;
  readonly pipelineShare: number;
  /** The process's first run of the pipeline as written over the short stream (cold), examples/s of wall time. */
  readonly first: number;
  /** Rows of the long and the short stream. */
  readonly examples: number;
  readonly shortExamples: number;
  /** Whether every result of the pipeline as written came from the fused path (`info.fused`). */
  readonly fused: boolean;
  /** Median over rounds of rxgrad / tfjs time per example (below 1: rxgrad is faster). */
  readonly tfjsRatio: number;
  /** Median over rounds of plain / general. */
  readonly generalRatio: number;
  /** Median over rounds of plain / rxgrad (how many times faster the plain loop is), wall time; `shortRatio` for the short stream. */
  readonly ratio: number;
  readonly shortRatio: number;
  /** The plain loop's median time per example / the first run's. */
  readonly firstRatio: number;
  /** The same per second of the process's CPU time (user + system): steadier on a shared machine. */
  readonly cpu: { readonly rxgrad: number; readonly short: number; readonly general: number; readonly plain: number; readonly first: number; readonly ratio: number; readonly shortRatio: number; readonly generalRatio: number; readonly firstRatio: number };
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
 * rxgrad's own arithmetic for the same test-then-train SGD, without the pipeline: per example the
 * calls the fused path makes — the analytic pass's `score` (the answer, counted as
 * `progressiveValidation` counts it: ŷ = [p > 1 − p]), its `backward` over the same row (which
 * reuses the scored forward pass) and the plain-SGD kernel `sgdPlainInPlace` on w and b, each
 * writing x + u into a second array that then becomes the parameter (as the storage swap does).
 * No step, result, clock read, metric record or report: what is left of an example once the
 * per-step machinery is taken away. Returns the accuracy.
 */
function arithmeticLoop(t: ExampleTable, passes: number, lr: number): number {
  const { n, d, xs, ys } = t;
  const model = logisticRegression(d);
  const { score, backward } = analyticOf(model.loss)!;
  model.dispose();
  const params = [new Float32Array(d), new Float32Array(1)];
  const spare = [new Float32Array(d), new Float32Array(1)];
  const grads = [new Float32Array(d), new Float32Array(1)];
  const outs = spare.map((next) => ({ update: next, next, updateSq: 0, gradSq: 0 }));
  const scores = new Float32Array(2);
  const y = new Float32Array(1);
  let right = 0;
  for (let pass = 0; pass < passes; pass++) {
    for (let i = 0; i < n; i++) {
      const x = xs.subarray(i * d, (i + 1) * d);
      score!(params, x, 1, scores);
      if ((scores[1] > scores[0] ? 1 : 0) === ys[i]) right++;
      y[0] = ys[i];
      backward(params, x, y, 1, grads);
      for (let k = 0; k < 2; k++) {
        const o = outs[k];
        if (sgdPlainInPlace(grads[k], params[k], -lr, o) !== 0) throw new Error('non-finite update');
        const before = params[k];
        params[k] = o.next;
        o.update = o.next = spare[k] = before;
      }
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

/** The first `n` rows of `t` (views). */
function head(t: ExampleTable, n: number): ExampleTable {
  return { n, d: t.d, xs: t.xs.subarray(0, n * t.d), ys: t.ys.subarray(0, n) };
}

/**
 * Measure the paths in `rounds` interleaved rounds (after one warm-up each; see the file comment
 * for what each round times): rxgrad over `examples` rows and over the first `short` rows, the
 * general path over `short` rows, the plain loop over ~200,000 examples, the tfjs loop over a
 * quarter of `short`; and, before them, the process's first run over `short` rows.
 *
 * @example
 * const f = await benchOnline(7, 20000, 2000); // f.rxgrad, f.short, f.first, f.plain examples/s; f.ratio; f.cpu.* by CPU time
 */
export async function benchOnline(rounds: number, examples = 20000, short = 2000): Promise<OnlineFigures> {
  const d = 100;
  const lr = 0.1;
  const table = separableTable(Math.max(examples, short), d, mulberry32(1));
  const long = head(table, examples);
  const shortTable = head(table, short);
  const quarter = head(table, Math.max(1, Math.floor(short / 4)));
  const passes = Math.max(1, Math.round(200_000 / examples));
  type Name = 'rxgrad' | 'short' | 'general' | 'plain' | 'tfjs' | 'arithmetic';
  const wall: Record<Name, number[]> = { rxgrad: [], short: [], general: [], plain: [], tfjs: [], arithmetic: [] };
  let fused = true;
  const round = async (name: Name, f: () => void | Promise<void>, count: number): Promise<number> => {
    const t = await timed(f);
    wall[name].push(t.wall / count);
    return t.cpu / count;
  };
  const pipeline = (name: Name, rows: ExampleTable, fast: 'auto' | false) => () => {
    const model = logisticRegression(d);
    const run = () =>
      lastValueFrom(
        replay(rows, { batchSize: 1 }).pipe(
          progressiveValidation(model, { metrics: [accuracy()] }),
          gradients(model.loss, model.params, { fast }),
          optimize(sgd({ lr })),
          applyUpdates(model.params),
        ),
      ).then((last) => {
        if (fast === 'auto') fused &&= last.info.fused === 1;
      });
    return round(name, run, rows.n).finally(() => model.dispose());
  };
  // The process's first run (cold): timed on its own, then dropped from the short stream's rounds.
  const firstCpu = await pipeline('short', shortTable, 'auto')();
  const firstWall = wall.short.pop()!;
  const cpu = await samples(
    {
      rxgrad: pipeline('rxgrad', long, 'auto'),
      short: pipeline('short', shortTable, 'auto'),
      general: pipeline('general', shortTable, false),
      plain: () => round('plain', () => void plainLoop(long, passes, lr), long.n * passes),
      arithmetic: () => round('arithmetic', () => void arithmeticLoop(long, passes, lr), long.n * passes),
      tfjs: () => round('tfjs', () => void tfjsLoop(quarter, lr), quarter.n),
    },
    rounds,
  );
  // Drop the warm-up call's wall time (samples makes one of each first).
  const w = Object.fromEntries(Object.entries(wall).map(([k, v]) => [k, v.slice(1)])) as Record<Name, number[]>;
  const plainWall = median(w.plain);
  const plainCpu = median(cpu.plain);
  return {
    rxgrad: 1000 / median(w.rxgrad),
    short: 1000 / median(w.short),
    general: 1000 / median(w.general),
    plain: 1000 / plainWall,
    tfjs: 1000 / median(w.tfjs),
    arithmetic: 1000 / median(w.arithmetic),
    arithmeticRatio: pairedRatio(w.arithmetic, w.plain),
    pipelineShare: 1 - pairedRatio(w.arithmetic, w.rxgrad),
    first: 1000 / firstWall,
    examples,
    shortExamples: short,
    fused,
    tfjsRatio: pairedRatio(w.rxgrad, w.tfjs),
    ratio: pairedRatio(w.rxgrad, w.plain),
    shortRatio: pairedRatio(w.short, w.plain),
    generalRatio: pairedRatio(w.general, w.plain),
    firstRatio: firstWall / plainWall,
    cpu: {
      rxgrad: 1000 / median(cpu.rxgrad),
      short: 1000 / median(cpu.short),
      general: 1000 / median(cpu.general),
      plain: 1000 / plainCpu,
      first: 1000 / firstCpu,
      ratio: pairedRatio(cpu.rxgrad, cpu.plain),
      shortRatio: pairedRatio(cpu.short, cpu.plain),
      generalRatio: pairedRatio(cpu.general, cpu.plain),
      firstRatio: firstCpu / plainCpu,
    },
  };
}

/**
 * The table's lines as `benchOnline`'s figures read (printed by `npm run bench -- --online` and
 * by this file alone).
 *
 * @example
 * for (const line of onlineReport(await benchOnline(7), 7)) console.log(line);
 */
export function onlineReport(f: OnlineFigures, rounds: number): string[] {
  const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
  const x = (ratio: number) => `${(1 / ratio).toFixed(4)}×`;
  const rows = (n: number) => n.toLocaleString('en-US');
  return [
    `online logistic regression, 100 features, batch 1, test-then-train, backend ${tf.getBackend()} (medians of ${rounds} interleaved rounds; fused path taken: ${f.fused}):`,
    `  a round: rxgrad one run over ${rows(f.examples)} rows (long) and one over ${rows(f.shortExamples)} (short), each from subscribing; fast: false over ${rows(f.shortExamples)}; the plain loop over ~200,000 (warm)`,
    `  wall: rxgrad ${fmt(f.rxgrad)} ex/s (long), ${fmt(f.short)} (short), ${fmt(f.first)} (first run of the process, short, cold); fast: false ${fmt(f.general)}, hand-written tfjs ${fmt(f.tfjs)}, plain JS ${fmt(f.plain)}`,
    `  rxgrad/plain throughput ${x(f.ratio)} long (target ≥ 0.3×), ${x(f.shortRatio)} short, ${x(f.firstRatio)} first run; fast: false/plain ${x(f.generalRatio)}; rxgrad time/tfjs time ${f.tfjsRatio.toFixed(3)}×`,
    `  rxgrad's arithmetic alone (the fused path's score, backward and SGD kernel called directly, no pipeline): ${fmt(f.arithmetic)} ex/s, ${x(f.arithmeticRatio)} the plain loop's throughput; the pipeline's per-step work (steps, results, clock reads, metrics, reports) is ${(100 * f.pipelineShare).toFixed(0)} % of a warm example`,
    `  CPU time: rxgrad/plain ${x(f.cpu.ratio)} long, ${x(f.cpu.shortRatio)} short, ${x(f.cpu.firstRatio)} first run; fast: false/plain ${x(f.cpu.generalRatio)} (rxgrad ${fmt(f.cpu.rxgrad)} ex/s long, plain ${fmt(f.cpu.plain)})`,
  ];
}

// `npx tsx bench/online.ts [rounds] [examples] [short]`: this table alone.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rounds = Number(process.argv[2] ?? 7);
  const f = await benchOnline(rounds, Number(process.argv[3] ?? 20000), Number(process.argv[4] ?? 2000));
  for (const line of onlineReport(f, rounds)) console.log(line);
}
