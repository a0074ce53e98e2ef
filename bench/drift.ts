/**
 * `npm run bench:drift`: detection delay and false alarms of each drift detector (River's
 * defaults) on synthetic 0/1 error streams with a known change point, printed as a Markdown
 * table (the README's "Drift detection" table).
 *
 * 1. Change: Bernoulli errors at rate p₀ for 1000 examples, then p₁ for 3000; the delay is the
 *    number of examples from the change to the first detection at or after it (the detecting
 *    example counted); "detected" counts the seeds with one within the 3000.
 * 2. False alarms: detections before the change (per 1000 examples), and detections in a stream
 *    without change (rate 0.2, 10 000 examples).
 * 3. Seeds 1 … N (default 100) of mulberry32; every figure is deterministic.
 * 4. Reactions: online logistic regression (batch 1, test-then-train) on 2 features, label
 *    [x₀ + x₁/2 > 0], flipped after 2000 examples, DDM watching its errors; the accuracy of the
 *    1000 examples before the change and of the 500 after it, for each reaction beside the same
 *    pipeline marking only (mean over --reaction-seeds streams, default 3).
 *
 * Options: --seeds N, --reaction-seeds N (0 skips the reactions).
 */
import { Command } from 'commander';
import { flippedConcept } from './flippedConcept';
import { silenceTfjsBanner } from '../demo/silenceTfjsBanner';
import { identity, lastValueFrom, tap, type OperatorFunction } from 'rxjs';
import { adwin } from '../src/drift/adwin';
import { ddm } from '../src/drift/ddm';
import type { DriftDetector } from '../src/drift/DriftDetector';
import { pageHinkley } from '../src/drift/pageHinkley';
import { accuracy } from '../src/metrics/accuracy';
import { logisticRegression } from '../src/models/logisticRegression';
import { adam } from '../src/optimizers/adam';
import { sgd } from '../src/optimizers/sgd';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { backgroundModel } from '../streams/operators/backgroundModel';
import { detectDrift } from '../streams/operators/detectDrift';
import { gradients } from '../streams/operators/gradients';
import { learningRate } from '../streams/operators/learningRate';
import { optimize } from '../streams/operators/optimize';
import { progressiveValidation } from '../streams/operators/progressiveValidation';
import { mulberry32 } from '../streams/sources/mulberry32';
import { replay } from '../streams/sources/replay';
import type { LossFn } from '../streams/operators/gradients';
import type { Step } from '../streams/Step';
import type { Params, Transform } from '../src/types';
import type { ExampleBatch } from '../src/ExampleBatch';

const opts = new Command()
  .name('bench:drift')
  .option('--seeds <n>', 'streams per detector scenario', '100')
  .option('--reaction-seeds <n>', 'streams per reaction (0: skip)', '3')
  .parse()
  .opts<{ seeds: string; reactionSeeds: string }>();
const nSeeds = Number(opts.seeds);
const reactionSeeds = Number(opts.reactionSeeds);
silenceTfjsBanner();
const CHANGE = 1000;
const AFTER = 3000;
const QUIET = 10_000;

/** Indices (0-based) of the drifts a fresh detector reports on `n` Bernoulli values. */
function drifts(detector: DriftDetector<any>, seed: number, n: number, rate: (i: number) => number): number[] {
  const rand = mulberry32(seed);
  const state = detector.init();
  const out: number[] = [];
  for (let i = 0; i < n; i++) if (detector.update(state, rand() < rate(i) ? 1 : 0) === 'drift') out.push(i);
  return out;
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

const detectors: [string, () => DriftDetector<any>][] = [
  ['ADWIN', () => adwin()],
  ['Page–Hinkley', () => pageHinkley()],
  ['DDM', () => ddm()],
];

console.log(`| detector | change | detected | delay median | delay p10–p90 | false alarms before the change (per 1000) | false alarms without change (per 10 000) |`);
console.log(`|---|---|---|---|---|---|---|`);
for (const [p0, p1] of [
  [0.2, 0.5],
  [0.2, 0.3],
]) {
  for (const [name, make] of detectors) {
    const delays: number[] = [];
    let before = 0;
    let quiet = 0;
    for (let seed = 1; seed <= nSeeds; seed++) {
      const found = drifts(make(), seed, CHANGE + AFTER, (i) => (i < CHANGE ? p0 : p1));
      before += found.filter((i) => i < CHANGE).length;
      const first = found.find((i) => i >= CHANGE);
      if (first !== undefined) delays.push(first - CHANGE + 1);
      quiet += drifts(make(), 1_000_000 + seed, QUIET, () => p0).length;
    }
    delays.sort((a, b) => a - b);
    const spread = delays.length ? `${quantile(delays, 0.1)}–${quantile(delays, 0.9)}` : '–';
    const median = delays.length ? String(quantile(delays, 0.5)) : '–';
    const perStream = (count: number, per: number, length: number) => ((count / nSeeds) * (per / length)).toFixed(2);
    console.log(`| ${name} | ${p0} → ${p1} | ${delays.length}/${nSeeds} | ${median} | ${spread} | ${perStream(before, 1000, CHANGE)} | ${perStream(quiet, QUIET, QUIET)} |`);
  }
}

type StepOp = OperatorFunction<Step<ExampleBatch>, Step<ExampleBatch>>;

/**
 * The accuracy on [1000, 2000) and [2000, 2500) of online logistic regression on a concept
 * flipped at 2000: replay → progressiveValidation → detectDrift(ddm()) → `before(model)` →
 * gradients → optimize(transform, { resetOn }) → applyUpdates.
 */
async function reactionRun(seed: number, before: (params: Params, loss: LossFn<ExampleBatch>) => StepOp, transform: Transform<any>, resetOn?: 'drift'): Promise<[number, number]> {
  const table = flippedConcept(2500, 2000, seed);
  const model = logisticRegression(2);
  const errors: number[] = [];
  await lastValueFrom(
    replay(table, { batchSize: 1 }).pipe(
      progressiveValidation(model, { metrics: [accuracy()] }),
      detectDrift(ddm()),
      tap((s) => errors.push(...s.predictions!.error)),
      before(model.params, model.loss),
      gradients(model.loss, model.params),
      optimize(transform, { resetOn }),
      applyUpdates(model.params),
    ),
  );
  model.dispose();
  const acc = (a: number, b: number) => 1 - errors.slice(a, b).reduce((x, y) => x + y, 0) / (b - a);
  return [acc(1000, 2000), acc(2000, 2500)];
}

if (reactionSeeds > 0) {
  const none = () => identity as StepOp;
  const decay = (t: number) => 2 / Math.sqrt(t);
  const rows: [string, string, (params: Params, loss: LossFn<ExampleBatch>) => StepOp, () => Transform<any>, ('drift' | undefined)?][] = [
    ['mark only', 'sgd, lr 0.5', none, () => sgd({ lr: 0.5 })],
    ['background model', 'sgd, lr 0.5', (params, loss) => backgroundModel(loss, params, sgd({ lr: 0.5 })), () => sgd({ lr: 0.5 })],
    ['mark only', 'sgd, lr 2/√t', () => learningRate(decay), () => sgd()],
    ['restart the schedule', 'sgd, lr 2/√t', () => learningRate(decay, { restartOn: 'drift' }), () => sgd()],
    ['mark only', 'adam, lr 0.05', none, () => adam({ lr: 0.05 })],
    ['reset the optimizer', 'adam, lr 0.05', none, () => adam({ lr: 0.05 }), 'drift'],
  ];
  console.log(`\n| reaction (DDM) | optimizer | accuracy, 1000 examples before the change | accuracy, 500 examples after it |`);
  console.log(`|---|---|---|---|`);
  for (const [reaction, optimizer, before, transform, resetOn] of rows) {
    let b = 0;
    let a = 0;
    for (let seed = 1; seed <= reactionSeeds; seed++) {
      const [accBefore, accAfter] = await reactionRun(seed, before, transform(), resetOn);
      b += accBefore / reactionSeeds;
      a += accAfter / reactionSeeds;
    }
    console.log(`| ${reaction} | ${optimizer} | ${(100 * b).toFixed(1)} % | ${(100 * a).toFixed(1)} % |`);
  }
}
