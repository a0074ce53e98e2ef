/**
 * Each optimizer's update against the matching `tf.train.*` on the same backend, for one
 * parameter of 1e3, 1e5 and 1e6 values, with the same gradient and equivalent hyperparameters
 * (the same arithmetic: ε placement and initial accumulators chosen to match tfjs).
 *
 * An update is, for rxgrad, `transform.update` + adding the updates to the tf.Variable
 * (`addUpdates`) + freeing the superseded state and the updates; for tfjs,
 * `optimizer.applyGradients(grads)` (which does all of that internally). Both start from a warm
 * state (one update made before timing).
 */
import * as tf from '@tensorflow/tfjs';
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  addUpdates,
  disposeReplaced,
  disposeTree,
  rmsprop,
  sgd,
  type FusedMode,
  type Transform,
} from '../src/index';
import { cpuMs, interleaved, median, pairedRatio, samples, type Clock } from './measure';
import type { ArrayTransform, InPlaceTransform } from '../src/optimizers/fusedChain';
import type { AnalyticLoss } from '../src/fast/AnalyticLoss';
import type { DenseLayout } from '../src/fast/denseBackward';
import { arrayTrainer } from '../src/fast/arrayTrainer';
import { SIMD_KERNELS } from '../src/kernels/wasm/simdKernels';

const LR = 1e-3;
const EPS = 1e-7;

/** One comparison: an rxgrad optimizer (given its `fused` mode) and the tf.train optimizer doing the same arithmetic. */
interface Pair {
  readonly name: string;
  readonly rxgrad: (fused: FusedMode) => Transform<any>;
  readonly tfjs: () => tf.Optimizer;
}

/** The comparisons: sgd, momentum, adagrad, adadelta, adam, adamax, rmsprop (plain and centred). */
export const PAIRS: readonly Pair[] = [
  { name: 'sgd', rxgrad: (fused) => sgd({ lr: LR, fused }), tfjs: () => tf.train.sgd(LR) },
  { name: 'momentum 0.9', rxgrad: (fused) => sgd({ lr: LR, momentum: 0.9, fused }), tfjs: () => tf.train.momentum(LR, 0.9) },
  {
    name: 'adagrad',
    rxgrad: (fused) => adagrad({ lr: LR, initialAccumulatorValue: 0.1, eps: EPS, epsInSqrt: true, fused }),
    tfjs: () => tf.train.adagrad(LR, 0.1),
  },
  { name: 'adadelta', rxgrad: (fused) => adadelta({ lr: LR, rho: 0.95, eps: EPS, fused }), tfjs: () => tf.train.adadelta(LR, 0.95, EPS) },
  { name: 'adam', rxgrad: (fused) => adam({ lr: LR, eps: EPS, fused }), tfjs: () => tf.train.adam(LR, 0.9, 0.999, EPS) },
  { name: 'adamax', rxgrad: (fused) => adamax({ lr: LR, eps: EPS, fused }), tfjs: () => tf.train.adamax(LR, 0.9, 0.999, EPS) },
  {
    name: 'rmsprop',
    rxgrad: (fused) => rmsprop({ lr: LR, alpha: 0.9, eps: EPS, epsInSqrt: true, fused }),
    tfjs: () => tf.train.rmsprop(LR, 0.9, 0, EPS, false),
  },
  {
    name: 'rmsprop centered',
    rxgrad: (fused) => rmsprop({ lr: LR, alpha: 0.9, eps: EPS, epsInSqrt: true, centered: true, fused }),
    tfjs: () => tf.train.rmsprop(LR, 0.9, 0, EPS, true),
  },
];

/** The parameter every runner starts from: a variable of `size` seeded normal values (the temporary freed). */
function startingPoint(size: number): tf.Variable {
  const init = tf.randomNormal([size], 0, 1, 'float32', 1);
  const x = tf.variable(init);
  init.dispose();
  return x;
}

/** Updates per timed call, so that a call lasts long enough to time (a few ms at least). */
function repeats(size: number): number {
  return Math.max(1, Math.round(2e5 / size));
}

/**
 * The gradients a runner feeds: g and −g in turn. One gradient fed again and again drives the
 * centred RMSprop's v − m² to 0 (and below, in float32) within a few hundred updates: its update
 * then overflows, which rxgrad refuses; alternating signs keep every optimizer's state regular.
 */
function alternating(g: tf.Tensor): { next(): tf.Tensor; dispose(): void } {
  const both = [g, tf.neg(g)];
  let i = 0;
  return { next: () => both[i++ & 1], dispose: () => both[1].dispose() };
}

/** A runner that makes `k` updates per call and returns ms per update; `dispose` frees everything. */
export interface Runner {
  run(): number;
  dispose(): void;
}

/** rxgrad's side of a pair: `pair.rxgrad(fused)` on one parameter of `size` values, the gradient `g`, from a warm state. */
export function rxgradRunner(pair: Pair, fused: FusedMode, size: number, g: tf.Tensor): Runner {
  const params = { x: startingPoint(size) };
  const gs = alternating(g);
  const opt = pair.rxgrad(fused);
  let state = opt.init(params);
  const k = repeats(size);
  const update = () => {
    const r = opt.update({ x: gs.next() }, state, params);
    addUpdates(params, r.updates, fused);
    disposeReplaced(state, r.state);
    disposeTree(r.updates);
    state = r.state;
  };
  update();
  return {
    run: () => {
      const t0 = performance.now();
      for (let i = 0; i < k; i++) update();
      return (performance.now() - t0) / k;
    },
    dispose: () => {
      disposeTree([state, params]);
      gs.dispose();
    },
  };
}

function tfjsRunner(make: () => tf.Optimizer, size: number, g: tf.Tensor, clock: Clock = performance.now.bind(performance)): Runner {
  const x = startingPoint(size);
  const optimizer = make();
  const gs = alternating(g);
  const k = repeats(size);
  optimizer.applyGradients({ [x.name]: gs.next() });
  return {
    run: () => {
      const t0 = clock();
      for (let i = 0; i < k; i++) optimizer.applyGradients({ [x.name]: gs.next() });
      return (clock() - t0) / k;
    },
    dispose: () => {
      optimizer.dispose();
      x.dispose();
      gs.dispose();
    },
  };
}

/** One row of the comparison: ms per update (medians) and their ratio. */
export interface OptimizerRow {
  readonly name: string;
  readonly size: number;
  /** rxgrad as it runs by default (`fused: 'auto'`). */
  readonly rxgrad: number;
  /** rxgrad forced onto the chain of tensor ops (`fused: false`), for reference. */
  readonly chain: number;
  readonly tfjs: number;
  /** rxgrad / tfjs: ≤ 1 means rxgrad is not slower. */
  readonly ratio: number;
}

/**
 * Time every pair at every size (interleaved rounds, medians) and return the rows. With
 * `fused` set, the rxgrad column runs in that mode instead of `'auto'` (e.g. to measure the
 * fused kernels on wasm).
 */
export async function benchOptimizers(rounds = 15, sizes: readonly number[] = [1e3, 1e5, 1e6], fused: FusedMode = 'auto'): Promise<OptimizerRow[]> {
  const rows: OptimizerRow[] = [];
  for (const size of sizes) {
    const g = tf.tidy(() => tf.randomNormal([size], 0, 1, 'float32', 2));
    for (const pair of PAIRS) {
      const runners = {
        rxgrad: rxgradRunner(pair, fused, size, g),
        chain: rxgradRunner(pair, false, size, g),
        tfjs: tfjsRunner(pair.tfjs, size, g),
      };
      const m = await interleaved({ rxgrad: runners.rxgrad.run, chain: runners.chain.run, tfjs: runners.tfjs.run }, rounds);
      for (const r of Object.values(runners)) r.dispose();
      rows.push({ name: pair.name, size, rxgrad: m.rxgrad, chain: m.chain, tfjs: m.tfjs, ratio: m.rxgrad / m.tfjs });
    }
    g.dispose();
  }
  return rows;
}

/** The optimizers of the in-place comparison: rxgrad's, tf.train's and a hand-written in-place loop doing the same arithmetic. */
interface InPlacePair {
  readonly name: string;
  readonly rxgrad: () => Transform<any>;
  readonly tfjs: () => tf.Optimizer;
  /** One update of x in place from g with moments a, b (zero-initialized), at step t. */
  readonly plain: (x: Float32Array, g: Float32Array, a: Float32Array, b: Float32Array, t: number) => void;
}

export const IN_PLACE_PAIRS: readonly InPlacePair[] = [
  {
    name: 'adam',
    rxgrad: () => adam({ lr: LR, eps: EPS }),
    tfjs: () => tf.train.adam(LR, 0.9, 0.999, EPS),
    plain: (x, g, m, v, t) => {
      const bc1 = 1 - 0.9 ** t;
      const rootBc2 = Math.sqrt(1 - 0.999 ** t);
      for (let i = 0; i < x.length; i++) {
        const gi = g[i];
        const mi = 0.9 * m[i] + 0.1 * gi;
        const vi = 0.999 * v[i] + 0.001 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        x[i] -= (LR * (mi / bc1)) / (Math.sqrt(vi) / rootBc2 + EPS);
      }
    },
  },
  {
    name: 'momentum 0.9',
    rxgrad: () => sgd({ lr: LR, momentum: 0.9 }),
    tfjs: () => tf.train.momentum(LR, 0.9),
    plain: (x, g, v) => {
      for (let i = 0; i < x.length; i++) {
        const vi = 0.9 * v[i] + g[i];
        v[i] = vi;
        x[i] -= LR * vi;
      }
    },
  },
];

/**
 * rxgrad the way `optimize` + `applyUpdates` update owned state: `updateInPlace` + `addUpdates`,
 * SIMD kernels from `simdMin` values on (`SIMD_KERNELS.minSize` on cpu, `.heapMinSize` on the
 * wasm heap; by default where `optimize` takes them).
 */
export function inPlaceRunner(pair: InPlacePair, simdMin: number, size: number, g: tf.Tensor, clock: Clock = performance.now.bind(performance)): Runner {
  const params = { x: startingPoint(size) };
  const grads = { x: g };
  const opt = pair.rxgrad() as InPlaceTransform<any>;
  let state = opt.init(params);
  const k = repeats(size);
  const update = () => {
    const r = opt.updateInPlace(grads, state, params);
    disposeReplaced(state, r.state);
    state = r.state;
    addUpdates(params, r.updates);
    disposeTree(r.updates);
  };
  const run = () => {
    const before = { ...SIMD_KERNELS };
    SIMD_KERNELS.minSize = simdMin;
    SIMD_KERNELS.heapMinSize = simdMin;
    const t0 = clock();
    for (let i = 0; i < k; i++) update();
    const ms = (clock() - t0) / k;
    Object.assign(SIMD_KERNELS, before);
    return ms;
  };
  run();
  return { run, dispose: () => disposeTree([state, params]) };
}

/**
 * rxgrad the way `applyUpdates`' fused path updates owned state (`arrayTrainer`: `updateArrays` on
 * arrays, u not kept, both norms from the kernel's pass, x + u swapped into the parameter's
 * storage), with the gradient of a loss that writes g into the trainer's gradient array once
 * (the plain loop's constant g; no forward or backward pass).
 */
function arraysRunner(pair: InPlacePair, size: number, g: tf.Tensor, clock: Clock): Runner {
  const params = { x: startingPoint(size) };
  const gv = g.dataSync() as Float32Array;
  let written = false;
  const loss: AnalyticLoss = {
    names: ['x'],
    shapes: [[size]],
    layout: { sizes: [size, 1], activation: 'relu', output: 'linear' } as DenseLayout, // not read by arrayTrainer
    targets: 'any',
    backward: (_params, _x, _y, _n, grads) => {
      if (!written) grads[0].set(gv);
      written = true;
      return 0;
    },
  };
  const opt = pair.rxgrad() as ArrayTransform<unknown[]>;
  const trainer = arrayTrainer(loss, params, opt);
  let state = opt.init(params);
  const none = new Float32Array(0);
  const k = repeats(size);
  let t = 0;
  const update = () => {
    t++;
    const r = trainer.step(state, none, none, 0, { step: t, epoch: 1, hyper: {} });
    if (r.replaced) disposeReplaced(state, r.state);
    state = r.state;
    if ('refused' in r) throw new Error(`refused at update ${t}: ${r.refused} ${r.name}`);
  };
  update();
  return {
    run: () => {
      const t0 = clock();
      for (let i = 0; i < k; i++) update();
      return (clock() - t0) / k;
    },
    dispose: () => {
      trainer.dispose();
      disposeTree([state, params]);
    },
  };
}

function plainRunner(pair: InPlacePair, size: number, g: tf.Tensor, clock: Clock): Runner {
  const init = startingPoint(size);
  const x = init.dataSync().slice() as Float32Array;
  init.dispose();
  const gv = g.dataSync() as Float32Array;
  const a = new Float32Array(size);
  const b = new Float32Array(size);
  const k = repeats(size);
  let t = 0;
  pair.plain(x, gv, a, b, ++t);
  return {
    run: () => {
      const t0 = clock();
      for (let i = 0; i < k; i++) pair.plain(x, gv, a, b, ++t);
      return (clock() - t0) / k;
    },
    dispose: () => undefined,
  };
}

/** Whether rxgrad takes the SIMD kernel by default for a parameter of `size` values on the backend in force. */
function simdByDefault(size: number): boolean {
  return tf.getBackend() === 'wasm' ? size >= SIMD_KERNELS.heapMinSize : size >= SIMD_KERNELS.minSize && size % 4 === 0;
}

/** One row of the in-place comparison: ms per update (medians) and the paired ratios. */
export interface InPlaceRow {
  readonly name: string;
  readonly size: number;
  /** rxgrad's JavaScript in-place kernel. */
  readonly js: number;
  /** The same kernel as `applyUpdates`' fused path runs it (`arrayTrainer`: no update tensor, x + u swapped in). */
  readonly arrays: number;
  /** rxgrad's WebAssembly SIMD kernel (where the size qualifies: a multiple of 4). */
  readonly simd: number;
  /** The hand-written in-place plain-JS loop. */
  readonly plain: number;
  /** tf.train.* on the same backend. */
  readonly tfjs: number;
  /** Medians of the per-round ratios: js / plain, simd / plain, and rxgrad as it runs by default (SIMD from `SIMD_KERNELS.minSize` on, `.heapMinSize` on wasm) / tfjs. */
  readonly jsPlain: number;
  readonly arraysPlain: number;
  readonly simdPlain: number;
  readonly autoTfjs: number;
}

/**
 * A runner's `run` for the in-place table: calls `run` (k updates, ms per update) again until
 * `minMs` have passed on `clock`, and returns the mean ms per update of those calls.
 */
function atLeast(run: () => number, minMs: number, clock: Clock): () => number {
  return () => {
    const t0 = clock();
    let calls = 0;
    let sum = 0;
    do {
      sum += run();
      calls++;
    } while (clock() - t0 < minMs);
    return sum / calls;
  };
}

/**
 * rxgrad's in-place update (JavaScript kernel, the same on arrays as the fused path runs it, and
 * SIMD kernel) against a hand-written in-place plain-JS loop and tf.train.* on the same backend, side by side: interleaved rounds, medians,
 * ratios paired per round (see `pairedRatio`), timed by `clock` (default the process's CPU time,
 * `cpuMs`: on a shared machine, the time spent waiting for a core is not counted).
 *
 * Each variant is first warmed up for at least `warmMs` (default 200 ms) on `clock`, in two turns
 * of all variants, then every sample lasts at least `minMs` (default 10 ms) (`atLeast`: whole
 * calls of `repeats(size)` updates, the same work per update). Before, one call of
 * `repeats(size)` updates warmed up and made a sample: at 1e3 values a sample lasted about 1 ms,
 * the optimizing compiler was still at work on rxgrad's variants in the first rounds (their first
 * three samples 3–7× the later ones), and the CPU clock (which counts every thread of the
 * process) billed to a sample the collector's and compiler's background work left by the variant
 * before it (the plain loop's adam samples 7.4–32 µs per update in one run): the small sizes'
 * medians were a draw of who ran after whom. Now a variant's samples at 1e3 stay within ~10 % of
 * each other but for the first.
 * Each variant's own collections still fall in its own samples.
 */
export async function benchInPlace(
  rounds = 5,
  sizes: readonly number[] = [1e3, 1e4, 1e5, 1e6, 1e7],
  clock: Clock = cpuMs,
  minMs = 10,
  warmMs = 200,
): Promise<InPlaceRow[]> {
  const rows: InPlaceRow[] = [];
  for (const size of sizes) {
    const g = tf.tidy(() => tf.randomNormal([size], 0, 1, 'float32', 2));
    for (const pair of IN_PLACE_PAIRS) {
      const runners = {
        js: inPlaceRunner(pair, Infinity, size, g, clock),
        arrays: arraysRunner(pair, size, g, clock),
        simd: inPlaceRunner(pair, 0, size, g, clock),
        plain: plainRunner(pair, size, g, clock),
        tfjs: tfjsRunner(pair.tfjs, size, g, clock),
      };
      // Twice in turn: code one variant shares with another is compiled again once both ran.
      for (let pass = 0; pass < 2; pass++) for (const r of Object.values(runners)) atLeast(r.run, warmMs / 2, clock)();
      const timed = (r: Runner) => atLeast(r.run, minMs, clock);
      const s = await samples({ js: timed(runners.js), arrays: timed(runners.arrays), simd: timed(runners.simd), plain: timed(runners.plain), tfjs: timed(runners.tfjs) }, rounds);
      for (const r of Object.values(runners)) r.dispose();
      rows.push({
        name: pair.name,
        size,
        js: median(s.js),
        arrays: median(s.arrays),
        simd: median(s.simd),
        plain: median(s.plain),
        tfjs: median(s.tfjs),
        jsPlain: pairedRatio(s.js, s.plain),
        arraysPlain: pairedRatio(s.arrays, s.plain),
        simdPlain: pairedRatio(s.simd, s.plain),
        autoTfjs: pairedRatio(simdByDefault(size) ? s.simd : s.js, s.tfjs),
      });
    }
    g.dispose();
  }
  return rows;
}
