import * as tf from '@tensorflow/tfjs';
import { defer, finalize, identity, map, type Observable } from 'rxjs';
import { adadelta, adagrad, adam, rmsprop, sgd } from '../src/index';
import { linearRegression } from '../src/models/linearRegression';
import type { Hyper, Params, Schedule, Transform } from '../src/types';
import { swappable } from '../src/swappable';
import { airfoil } from '../streams/sources/airfoil';
import { minibatches } from '../streams/sources/minibatches';
import { objective } from '../streams/sources/objective';
import { mulberry32 } from '../streams/sources/mulberry32';
import { gradients } from '../streams/operators/gradients';
import { learningRate } from '../streams/operators/learningRate';
import { override } from '../streams/operators/override';
import { optimize } from '../streams/operators/optimize';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { evaluate } from '../streams/operators/evaluate';
import type { Step, StepResult } from '../streams/Step';
import type { Experiment, QuadraticObjective, RunControls } from './Experiment';
import { onlineRuns } from './onlineRuns';

/** An optimizer of the chapter, built from (possibly edited) hyperparameters. */
type Build = (h: Hyper) => Transform<unknown>;

const OPTIMIZERS: Record<string, Build> = {
  // GD and SGD: x ← x − η g.
  sgd: (h) => sgd({ lr: h.lr }),
  // §12.6: v ← γ v + g, x ← x − η v (PyTorch's SGD with momentum, dampening 0).
  momentum: (h) => sgd({ lr: h.lr, momentum: h.momentum }),
  // §12.7: s ← s + g², x ← x − η g / √(s + ε), ε = 1e-6 inside the root.
  adagrad: (h) => adagrad({ lr: h.lr, eps: 1e-6, epsInSqrt: true }),
  // §12.8: s ← γ s + (1 − γ) g², x ← x − η g / √(s + ε), ε = 1e-6 inside the root.
  rmsprop: (h) => rmsprop({ lr: h.lr, alpha: h.gamma, eps: 1e-6, epsInSqrt: true }),
  // §12.9: the book's AdaDelta uses ε = 1e-5 (PyTorch's form, lr 1).
  adadelta: (h) => adadelta({ lr: h.lr ?? 1, rho: h.rho, eps: 1e-5 }),
  // §12.10: β1 = 0.9, β2 = 0.999, ε = 1e-6 outside the root.
  adam: (h) => adam({ lr: h.lr, beta1: 0.9, beta2: 0.999, eps: 1e-6 }),
};

const F1: QuadraticObjective = { kind: 'quadratic', a: [1, 2], x0: [-5, -2] };
const F2: QuadraticObjective = { kind: 'quadratic', a: [0.1, 2], x0: [-5, -2] };

function quadratic(a: readonly [number, number]) {
  return (x: tf.Tensor1D) => tf.tidy(() => tf.sum(tf.mul(tf.square(x), tf.tensor1d([...a])))) as tf.Scalar;
}

/** `name` as part of a run id: lower case, each run of other characters one dash, none at either end ("GD lr 1 (batch 1500)" → "gd-lr-1-batch-1500"). */
const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '');

const label = (o: QuadraticObjective) => `${o.a[0] === 1 ? '' : o.a[0]}x1²+${o.a[1]}x2²`;

interface TraceSpec {
  readonly optimizer: string;
  readonly name: string;
  readonly objective: QuadraticObjective;
  readonly hyper: Hyper;
  readonly steps?: number;
  /** Standard deviation of Gaussian noise added to each gradient (the book's SGD, §12.4). */
  readonly noise?: number;
  readonly book?: Readonly<Record<string, number>>;
}

/**
 * A 2-D trace: `steps` updates of an optimizer on f(x) = a1·x1² + a2·x2² from (−5, −2). With
 * `noise`, the loss is f(x) + nᵀx with n ~ N(0, noise²) drawn per step from a seeded PRNG, so the
 * gradient is ∇f + n as in the book's SGD.
 */
function trace(spec: TraceSpec): Experiment {
  const steps = spec.steps ?? 20;
  const id = `trace-${spec.objective.a[0]}-${slug(spec.name)}`;
  return {
    id,
    name: `${spec.name} on ${label(spec.objective)}`,
    group: 'trace',
    objective: spec.objective,
    config: { optimizer: spec.optimizer, ...spec.hyper, steps, f: label(spec.objective), ...(spec.noise && { noise: spec.noise }) },
    ...(spec.book && { book: spec.book }),
    run: (controls: RunControls = {}) =>
      defer(() => {
        const h = { ...spec.hyper, ...controls.hyper };
        const f = quadratic(spec.objective.a);
        const p = objective(f, [...spec.objective.x0], { steps, yieldEveryMs: controls.yieldEveryMs, paused: controls.paused });
        const gaussian = gaussianNoise(7);
        const noise = spec.noise ?? 0;
        const source: Observable<Step<tf.Tensor | null>> =
          noise > 0 ? p.steps.pipe(map((s) => ({ ...s, batch: tf.tensor1d([gaussian() * noise, gaussian() * noise]) }))) : p.steps;
        const loss = (params: Params, n: tf.Tensor | null) =>
          n === null ? p.loss(params) : (tf.tidy(() => f(params.x as tf.Tensor1D).add(tf.sum(tf.mul(n, params.x)))) as tf.Scalar);
        return source.pipe(
          gradients(loss, p.params),
          learningRate(h.lr),
          controls.lr ? override('lr', controls.lr) : identity,
          optimize(OPTIMIZERS[spec.optimizer](h)),
          applyUpdates(p.params, { track: ['x'] }),
          finalize(() => p.dispose()),
        );
      }),
  };
}

/** Standard normal draws (Box–Muller) from a seeded PRNG. */
function gaussianNoise(seed: number): () => number {
  const rand = mulberry32(seed);
  return () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

interface AirfoilSpec {
  readonly optimizer: string;
  readonly name: string;
  readonly hyper: Hyper;
  readonly batchSize: number;
  readonly epochs?: number;
  /** A learning-rate schedule replacing the constant `hyper.lr` (e.g. per-epoch decay). */
  readonly schedule?: Schedule;
  readonly scheduleLabel?: string;
  /** Optimizers the run can swap to from the dashboard (the run's own is the first). */
  readonly swap?: Readonly<Record<string, Build>>;
}

let airfoilData: ReturnType<typeof airfoil> | undefined;
const airfoilRows = () => (airfoilData ??= airfoil());

/**
 * Linear regression on the airfoil data (§12.5 `train_ch11`): w ~ N(0, 0.01²), b = 0, loss
 * (ŷ − y)²/2, shuffled minibatches; the loss on all 1500 rows is reported every 200 examples,
 * the optimizer's state (`inspectOptimizer`: step sizes, |m̂|, ‖u‖/‖x‖) every 10 steps. With
 * `swap`, the optimizer is a `swappable` the dashboard can swap (`controls.optimizer`).
 */
function airfoilRun(spec: AirfoilSpec): Experiment {
  const epochs = spec.epochs ?? 2;
  const optimizers = spec.swap ? [spec.optimizer, ...Object.keys(spec.swap)] : undefined;
  const build = (h: Hyper): Transform<unknown> =>
    spec.swap ? swappable({ [spec.optimizer]: OPTIMIZERS[spec.optimizer](h), ...Object.fromEntries(Object.entries(spec.swap).map(([k, b]) => [k, b(h)])) }) : OPTIMIZERS[spec.optimizer](h);
  return {
    id: `airfoil-${slug(spec.name)}`,
    ...(optimizers && { optimizers }),
    name: spec.name,
    group: 'airfoil',
    config: {
      optimizer: spec.optimizer,
      ...spec.hyper,
      ...(spec.scheduleLabel && { schedule: spec.scheduleLabel }),
      batchSize: spec.batchSize,
      epochs,
      data: 'airfoil 1500×5, standardized',
    },
    run: (controls: RunControls = {}) =>
      defer(() => {
        const h = { ...spec.hyper, ...controls.hyper };
        const data = airfoilRows();
        const model = linearRegression(5, { seed: 1 });
        const all = { xs: tf.tensor2d(data.xs), ys: tf.tensor2d(data.ys, [data.ys.length, 1]) };
        const fullLoss = () => tf.tidy(() => model.loss(model.params, all).dataSync()[0]);
        return minibatches(data, {
          batchSize: spec.batchSize,
          epochs,
          shuffle: true,
          seed: 1,
          yieldEveryMs: controls.yieldEveryMs,
          paused: controls.paused,
        }).pipe(
          gradients(model.loss, model.params),
          learningRate(spec.schedule && controls.hyper?.lr === undefined ? spec.schedule : h.lr),
          controls.lr ? override('lr', controls.lr) : identity,
          optimize(build(h), { inspect: { every: 10 }, ...(optimizers && controls.optimizer && { switchTo: controls.optimizer }) }),
          applyUpdates(model.params),
          evaluate('fullLoss', fullLoss, { everyExamples: 200 }),
          finalize(() => {
            model.dispose();
            all.xs.dispose();
            all.ys.dispose();
          }),
        );
      }),
  };
}

/** The 2-D traces of §12.3–12.10 with the values the book prints after 20 steps. */
export const traces: readonly Experiment[] = [
  trace({ optimizer: 'sgd', name: 'GD η=0.1', objective: F1, hyper: { lr: 0.1 }, book: { x1: -0.057646, x2: -0.000073 } }),
  trace({ optimizer: 'sgd', name: 'SGD η=0.1', objective: F1, hyper: { lr: 0.1 }, steps: 50, noise: 1 }),
  trace({ optimizer: 'momentum', name: 'Momentum η=0.1 γ=0.5', objective: F1, hyper: { lr: 0.1, momentum: 0.5 } }),
  trace({ optimizer: 'adagrad', name: 'AdaGrad η=0.4', objective: F1, hyper: { lr: 0.4 } }),
  trace({ optimizer: 'rmsprop', name: 'RMSProp η=0.4 γ=0.9', objective: F1, hyper: { lr: 0.4, gamma: 0.9 } }),
  trace({ optimizer: 'adadelta', name: 'AdaDelta ρ=0.9', objective: F1, hyper: { lr: 1, rho: 0.9 } }),
  trace({ optimizer: 'adam', name: 'Adam η=0.4', objective: F1, hyper: { lr: 0.4 } }),
  trace({ optimizer: 'sgd', name: 'GD η=0.4', objective: F2, hyper: { lr: 0.4 }, book: { x1: -0.943467, x2: -0.000073 } }),
  trace({ optimizer: 'sgd', name: 'GD η=0.6', objective: F2, hyper: { lr: 0.6 }, book: { x1: -0.387814, x2: -1673.365109 } }),
  trace({ optimizer: 'sgd', name: 'SGD η=0.1', objective: F2, hyper: { lr: 0.1 }, steps: 50, noise: 1 }),
  trace({ optimizer: 'momentum', name: 'Momentum η=0.4 γ=0.5', objective: F2, hyper: { lr: 0.4, momentum: 0.5 }, book: { x1: -0.062843, x2: 0.001202 } }),
  trace({ optimizer: 'momentum', name: 'Momentum η=0.6 γ=0.5', objective: F2, hyper: { lr: 0.6, momentum: 0.5 }, book: { x1: 0.007188, x2: 0.002553 } }),
  trace({ optimizer: 'adagrad', name: 'AdaGrad η=0.4', objective: F2, hyper: { lr: 0.4 }, book: { x1: -2.382563, x2: -0.158591 } }),
  trace({ optimizer: 'adagrad', name: 'AdaGrad η=2', objective: F2, hyper: { lr: 2 }, book: { x1: -0.002295, x2: -0.0 } }),
  trace({ optimizer: 'rmsprop', name: 'RMSProp η=0.4 γ=0.9', objective: F2, hyper: { lr: 0.4, gamma: 0.9 }, book: { x1: -0.010599, x2: 0.0 } }),
  trace({ optimizer: 'adadelta', name: 'AdaDelta ρ=0.9', objective: F2, hyper: { lr: 1, rho: 0.9 } }),
  trace({ optimizer: 'adam', name: 'Adam η=0.4', objective: F2, hyper: { lr: 0.4 } }),
];

/** The airfoil runs of §12.5–12.10 (2 epochs each unless noted), and the per-epoch decay exercise. */
export const airfoilRuns: readonly Experiment[] = [
  airfoilRun({ optimizer: 'sgd', name: 'GD lr 1 (batch 1500)', hyper: { lr: 1 }, batchSize: 1500, epochs: 6 }),
  airfoilRun({ optimizer: 'sgd', name: 'SGD lr 0.005 (batch 1)', hyper: { lr: 0.005 }, batchSize: 1 }),
  airfoilRun({ optimizer: 'sgd', name: 'Minibatch SGD lr 0.05 (batch 10)', hyper: { lr: 0.05 }, batchSize: 10 }),
  airfoilRun({ optimizer: 'sgd', name: 'Minibatch SGD lr 0.4 (batch 100)', hyper: { lr: 0.4 }, batchSize: 100 }),
  airfoilRun({ optimizer: 'momentum', name: 'Momentum lr 0.02 γ 0.5', hyper: { lr: 0.02, momentum: 0.5 }, batchSize: 10 }),
  airfoilRun({ optimizer: 'momentum', name: 'Momentum lr 0.02 γ 0.9', hyper: { lr: 0.02, momentum: 0.9 }, batchSize: 10 }),
  airfoilRun({ optimizer: 'momentum', name: 'Momentum lr 0.004 γ 0.9', hyper: { lr: 0.004, momentum: 0.9 }, batchSize: 10 }),
  airfoilRun({ optimizer: 'adagrad', name: 'AdaGrad lr 0.1', hyper: { lr: 0.1 }, batchSize: 10 }),
  airfoilRun({ optimizer: 'rmsprop', name: 'RMSProp lr 0.01 γ 0.9', hyper: { lr: 0.01, gamma: 0.9 }, batchSize: 10 }),
  airfoilRun({ optimizer: 'adadelta', name: 'AdaDelta ρ 0.9', hyper: { lr: 1, rho: 0.9 }, batchSize: 10 }),
  // Swappable from the dashboard to SGD with momentum 0.9 at the lr in force (the idea of SWATS).
  airfoilRun({ optimizer: 'adam', name: 'Adam lr 0.01', hyper: { lr: 0.01 }, batchSize: 10, swap: { sgd: (h) => sgd({ lr: h.lr, momentum: 0.9 }) } }),
  airfoilRun({
    optimizer: 'sgd',
    name: 'Minibatch SGD lr 0.05 ÷10 per epoch',
    hyper: { lr: 0.05 },
    batchSize: 10,
    // The exercise of §12.5: divide the learning rate by 10 after every epoch.
    schedule: (_step, epoch = 1) => 0.05 * 0.1 ** (epoch - 1),
    scheduleLabel: 'lr × 0.1^(epoch−1)',
  }),
];

/** Every experiment of `npm start`: the chapter's 2-D traces and airfoil runs, then the online runs (demo/onlineRuns.ts). */
export const experiments: readonly Experiment[] = [...traces, ...airfoilRuns, ...onlineRuns];

/** Collect a run into an array (for tests and the CLI). */
export function collect(run: Observable<StepResult>): Promise<StepResult[]> {
  return new Promise((resolve, reject) => {
    const out: StepResult[] = [];
    run.subscribe({ next: (r) => out.push(r), error: reject, complete: () => resolve(out) });
  });
}
