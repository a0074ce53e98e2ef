import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adadelta,
  adagrad,
  adam,
  adamax,
  adamw,
  addUpdates,
  cloneState,
  disposeReplaced,
  disposeTree,
  rmsprop,
  sgd,
  tensorsIn,
  type Tensors,
  type Transform,
} from '../../src/index';
import { hasInPlace, type InPlaceTransform } from '../../src/optimizers/fusedChain';
import { SIMD_KERNELS } from '../../src/kernels/wasm/simdKernels';
import { inPlaceHeap } from '../../src/kernels/wasm/runInPlaceWasm';
import { heapValues, wasmHeap, type WasmHeap } from '../../src/kernels/wasm/wasmHeap';
import { FUSED_CONFIGS, randomGrads, randomParams, withSubsets } from '../kernels/configs';
import { runOwned } from '../kernels/runOwned';
import { airfoilNorms, withoutInPlace } from '../kernels/airfoilRun';
import { camel, torchReference as ref } from '../kernels/torchReference';
import { expectClose } from '../src/helpers';
import { expectNoLeak } from '../helpers';

// These tests run on tfjs-wasm (test/setup.ts puts every file on cpu first).
beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});
afterAll(async () => {
  await tf.setBackend('cpu');
});
const DEFAULT_MIN = SIMD_KERNELS.heapMinSize;
afterEach(() => {
  SIMD_KERNELS.heapMinSize = DEFAULT_MIN;
});

/** A variable made from `t`, which is freed (tf.variable keeps its own reference to the storage). */
function variable(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t);
  t.dispose();
  return v;
}

function heap(): WasmHeap {
  const h = wasmHeap();
  if (h === undefined) throw new Error('tfjs-wasm backend not in force');
  return h;
}

/** The bytes of the wasm heap (it only grows). */
const heapBytes = () => heap().wasm.HEAPU8.buffer.byteLength;

/** `runOwned`, also recording the state's tensor objects after each step (in place: the same ones). */
function runTracked(opt: Transform<any>, inPlace: boolean, params0: Tensors, grads: (t: number) => Tensors, steps: number) {
  const seen: Set<tf.Tensor>[] = [];
  const wrapped: InPlaceTransform<any> = {
    ...opt,
    update: opt.update,
    updateInPlace: (g, s, p, ctx) => {
      const r = inPlace ? (opt as InPlaceTransform<any>).updateInPlace(g, s, p, ctx) : opt.update(g, s, p, ctx);
      seen.push(new Set(tensorsIn(r.state)));
      return r;
    },
  };
  const xs = runOwned(wrapped, true, params0, grads, steps);
  return { xs, seen };
}

/** The PyTorch classes whose rxgrad optimizer has an in-place kernel. */
const FUSED: Record<string, (o: Record<string, unknown>) => Transform<any>> = { SGD: sgd, Adagrad: adagrad, RMSprop: rmsprop, Adadelta: adadelta, Adam: adam, AdamW: adamw, Adamax: adamax };

describe('updateInPlace on the tfjs-wasm heap', () => {
  it('is taken for float32 gradients and parameters in the heap, not on cpu', async () => {
    const g = { w: tf.ones([3]) };
    const p = { w: variable(tf.zeros([3])) };
    expect(inPlaceHeap(g, p)).toBeDefined();
    expect(inPlaceHeap({ w: tf.ones([3], 'int32') }, p)).toBeUndefined();
    expect(inPlaceHeap(g, undefined)).toBeUndefined();
    disposeTree([g, p]);
    await tf.setBackend('cpu');
    const c = { w: tf.ones([3]) };
    expect(inPlaceHeap(c, c)).toBeUndefined();
    c.w.dispose();
    await tf.setBackend('wasm');
  });

  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    it(`${name}: in place (the same state tensors), bit-identical to the fused kernel on copies, and to the chain within 1e-6·max|x| — random data (3 parameters, subsets) and the PyTorch fixture's gradients, 40 steps`, () => {
      expect(hasInPlace(make(true))).toBe(true);
      const params = randomParams();
      const fixture = { x: tf.tensor(ref.p0) };
      const fixtureGrads = (t: number): Tensors => ({ x: tf.tensor(ref.grads[t - 1]) });
      for (const [p0, grads] of [
        [params, () => withSubsets(randomGrads(params))],
        [fixture, () => fixtureGrads],
      ] as const) {
        const mine = runTracked(make('auto'), true, p0, grads(), 40);
        const copies = runTracked(make(true), false, p0, grads(), 40);
        const chain = runTracked(make(false), false, p0, grads(), 40);
        expect(mine.xs).toEqual(copies.xs);
        const scale = chain.xs.flat(2).reduce((a, v) => Math.max(a, Math.abs(v)), 0);
        chain.xs.forEach((x, i) => x.forEach((xk, k) => expectClose(mine.xs[i][k], xk, `${name} step ${i + 1}`, 0, 1e-6 * scale)));
        // In place: from step 2 on, the state holds only tensors it held a step before (the
        // copying path makes new ones every step; a subset step carries the others over).
        for (let t = 1; t < 40; t++) for (const s of mine.seen[t]) expect(mine.seen[t - 1].has(s)).toBe(true);
      }
      disposeTree([params, fixture]);
    });
  }

  for (const [name, cfg] of Object.entries(ref.optimizers)) {
    const make = FUSED[cfg.torch];
    if (!make) continue;
    const simdRuns = cfg.torch !== 'SGD' ? (cfg.torch === 'Adam' || cfg.torch === 'AdamW') && cfg.kwargs.amsgrad !== true : cfg.kwargs.momentum !== undefined;
    it(`PyTorch conformance, ${name}: every one of 40 steps to 1e-5 rel + 1e-6 abs, in place in JS (6 values)${simdRuns ? ' and in SIMD on the heap (the 6 values tiled 4 times)' : ''}`, () => {
      const js = runOwned(make(camel(cfg.kwargs)), true, { x: tf.tensor(ref.p0) }, (t) => ({ x: tf.tensor(ref.grads[t - 1]) }), ref.grads.length);
      js.forEach(([x], i) => expectClose(x, cfg.params[i].flat(), `${name} step ${i + 1}`));
      if (!simdRuns) return;
      const tile = (rows: number[][]) => [0, 1, 2, 3].flatMap(() => rows.flat());
      const tiled = (heapMinSize: number) => {
        SIMD_KERNELS.heapMinSize = heapMinSize;
        const x0 = { x: tf.tensor(tile(ref.p0)) };
        const xs = runOwned(make(camel(cfg.kwargs)), true, x0, (t) => ({ x: tf.tensor(tile(ref.grads[t - 1])) }), ref.grads.length);
        disposeTree(x0);
        return xs;
      };
      const simd = tiled(4);
      simd.forEach(([x], i) => expectClose(x, tile(cfg.params[i]), `${name} step ${i + 1} (SIMD)`));
      // The SIMD kernel ran: it rounds each operation to float32, the JavaScript kernel once per
      // stored value, so their trajectories differ in some last bits.
      expect(simd).not.toEqual(tiled(Infinity));
    });
  }

  for (const [name, make] of [
    ['adam + weight decay', (fused = true) => adam({ lr: 0.01, weightDecay: 0.1, fused })],
    ['adamw', (fused = true) => adamw({ lr: 0.01, weightDecay: 0.1, fused })],
    ['sgd nesterov + weight decay', (fused = true) => sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01, fused })],
  ] as const) {
    it(`${name}, 4,099 values (SIMD for 4,096, the JavaScript kernel for the last 3): within 1e-6·max|x| of the chain over 30 steps`, () => {
      const rand = (seed: number) => tf.randomUniform([4099], -2, 2, 'float32', seed);
      const x0 = { w: rand(1) };
      const grads = (t: number) => ({ w: tf.tidy(() => rand(100 + t).mul(10 ** ((t % 5) - 2))) });
      const simd = runOwned(make(), true, x0, grads, 30);
      SIMD_KERNELS.heapMinSize = Infinity;
      const js = runOwned(make(), true, x0, grads, 30);
      const chain = runOwned(make(false), false, x0, grads, 30);
      expect(simd).not.toEqual(js);
      const scale = chain.flat(2).reduce((a, v) => Math.max(a, Math.abs(v)), 0);
      chain.forEach(([x], i) => {
        expectClose(simd[i][0], x, `${name} step ${i + 1} (SIMD)`, 0, 1e-6 * scale);
        // the last 3 values: the JavaScript kernel's, bit for bit
        expect(simd[i][0].slice(4096)).toEqual(js[i][0].slice(4096));
      });
      disposeTree(x0);
    });
  }

  it("'auto' takes the heap where it wins: SIMD kernels at any size, the others up to FUSED_BACKENDS.wasm values (above, tfjs's kernels: the chain); fused: true always", () => {
    /** Whether two consecutive updates keep the state's tensors (in place). */
    const inPlace = (opt: Transform<any>, n: number): boolean => {
      const params = { w: variable(tf.randomNormal([n], 0, 1, 'float32', 1)) };
      const g = { w: tf.randomNormal([n], 0, 1, 'float32', 2) };
      let state = opt.init(params);
      const seen: tf.Tensor[][] = [];
      for (let t = 1; t <= 3; t++) {
        const r = (opt as InPlaceTransform<any>).updateInPlace(g, state, params, { step: t });
        disposeReplaced(state, r.state);
        state = r.state;
        addUpdates(params, r.updates);
        disposeTree(r.updates);
        seen.push(tensorsIn(state));
      }
      disposeTree([state, params, g]);
      return seen[2].every((s) => seen[1].includes(s));
    };
    expect(inPlace(adam({ lr: 0.01 }), 3000)).toBe(true);
    expect(inPlace(sgd({ lr: 0.01, momentum: 0.9 }), 3000)).toBe(true);
    expect(inPlace(adagrad({ lr: 0.01 }), 2048)).toBe(true);
    expect(inPlace(adagrad({ lr: 0.01 }), 3000)).toBe(false);
    expect(inPlace(adam({ lr: 0.01, amsgrad: true }), 3000)).toBe(false);
    expect(inPlace(adagrad({ lr: 0.01, fused: true }), 3000)).toBe(true);
  });

  it('a non-finite x + u fails in addUpdates naming the parameter, nothing assigned, nothing left behind (JS and SIMD kernels)', () => {
    // b: x = 3e38, u = −lr·g = −3e38·(−1) = 3e38, x + u = 6e38 > float32's maximum; a: 1 − 3e38 is finite
    for (const size of [2, 4096]) {
      const start = tf.memory().numTensors;
      const bytes = tf.memory().numBytes;
      const opt = sgd({ lr: 3e38, momentum: 0.5 }) as InPlaceTransform<any>;
      const rest = (v: number) => Array.from({ length: size - 1 }, () => v);
      const params = { a: variable(tf.tensor([1, ...rest(2)])), b: variable(tf.tensor([3e38, ...rest(1)])) };
      const grads = { a: tf.tensor([1, ...rest(1)]), b: tf.tensor([-1, ...rest(-1e-38)]) };
      SIMD_KERNELS.heapMinSize = 4;
      let state = opt.init(params);
      // a first update to make the momentum buffers (the SIMD kernel needs one), tiny: finite
      const tiny = { a: tf.mul(grads.a, 1e-40), b: tf.mul(grads.b, 1e-40) };
      const r0 = opt.updateInPlace(tiny, state, params, { step: 1 });
      addUpdates(params, r0.updates);
      disposeReplaced(state, r0.state);
      state = r0.state;
      const a0 = Array.from(params.a.dataSync());
      const b0 = Array.from(params.b.dataSync());
      const r = opt.updateInPlace(grads, state, params, { step: 2 });
      expect(() => addUpdates(params, r.updates)).toThrow('params.b');
      expect(Array.from(params.a.dataSync())).toEqual(a0);
      expect(Array.from(params.b.dataSync())).toEqual(b0);
      disposeReplaced(state, r.state);
      disposeTree([r.state, r.updates, r0.updates, params, grads, tiny]);
      expect(tf.memory().numTensors).toBe(start);
      expect(tf.memory().numBytes).toBe(bytes);
    }
  });

  it('a kernel that throws (a state tensor disposed under it) leaves no update tensor and no heap block behind', () => {
    const opt = adam({ lr: 0.1 }) as InPlaceTransform<any>;
    const params = { w: variable(tf.randomNormal([5000], 0, 1, 'float32', 1)) };
    const grads = { w: tf.randomNormal([5000], 0, 1, 'float32', 2) };
    const state = opt.init(params);
    const [m] = tensorsIn(state);
    m.dispose();
    const start = tf.memory().numTensors;
    const bytes = heapBytes();
    for (let i = 0; i < 50; i++) expect(() => opt.updateInPlace(grads, state, params, { step: 1 })).toThrow();
    expect(tf.memory().numTensors).toBe(start);
    expect(heapBytes()).toBe(bytes);
    disposeTree([state, params, grads]);
  });

  it('never writes into state another tensor shares (a cloneState copy)', () => {
    const opt = adam({ lr: 0.1 }) as InPlaceTransform<any>;
    const params = { w: variable(tf.tensor([1, 2, 3])) };
    const grads = { w: tf.tensor([1, -1, 0.5]) };
    const given = opt.init(params);
    const r0 = opt.update(grads, given, params, { step: 1 });
    tf.dispose(r0.updates);
    const keep = cloneState(r0.state);
    const shown = (s: unknown) => JSON.stringify(s, (_k, v) => (v instanceof tf.Tensor ? Array.from(v.dataSync()) : v));
    const before = shown(keep);
    const mine = cloneState(keep);
    const r1 = opt.updateInPlace(grads, mine, params, { step: 2 });
    const r2 = opt.updateInPlace(grads, r1.state, params, { step: 3 });
    expect(shown(keep)).toBe(before);
    disposeReplaced(mine, r1.state);
    disposeReplaced(r1.state, r2.state);
    disposeTree([given, r0.state, keep, r2.state, r1.updates, r2.updates, params, grads]);
  });

  it('x + u staged for a parameter reassigned since is not taken: addUpdates adds to the new value', () => {
    const opt = sgd({ lr: 0.5 }) as InPlaceTransform<any>;
    const params = { w: variable(tf.tensor([1, 2])) };
    const grads = { w: tf.tensor([2, 4]) };
    const state = opt.init(params);
    const r = opt.updateInPlace(grads, state, params, { step: 1 });
    const other = tf.tensor([10, 20]);
    params.w.assign(other);
    addUpdates(params, r.updates);
    // u = −0.5·[2, 4] = [−1, −2], added to the reassigned [10, 20]
    expect(Array.from(params.w.dataSync())).toEqual([9, 18]);
    disposeTree([state, r.state, r.updates, params, grads, other]);
  });
});

describe('no allocation per update on the wasm heap in steady state', () => {
  /** The id the next tensor gets (tfjs numbers tensors in creation order); the probe is freed. */
  function nextTensorId(): number {
    const probe = tf.scalar(0);
    const id = probe.id + 1;
    probe.dispose();
    return id;
  }

  /**
   * `updates` updates as `optimize` + `applyUpdates` make them (g and −g in turn), after
   * `warmup`: the tensors made per update, tf.memory()'s tensors and bytes, the heap's size, and
   * the state's tensor objects.
   */
  function run(opt: InPlaceTransform<any>, params: Record<string, tf.Variable>, g: Tensors, updates: number, apply = true, warmup = 3) {
    const negated = tf.tidy(() => Object.fromEntries(Object.entries(g).map(([k, t]) => [k, tf.neg(t)])));
    let state = opt.init(params);
    const created = new Set<number>();
    const tensors = new Set<number>();
    const bytes = new Set<number>();
    const heapSizes = new Set<number>();
    const stateTensors = new Set<tf.Tensor>();
    for (let t = 1; t <= warmup + updates; t++) {
      const first = nextTensorId();
      const r = opt.updateInPlace(t % 2 ? g : negated, state, params, { step: t });
      disposeReplaced(state, r.state);
      state = r.state;
      if (apply) addUpdates(params, r.updates);
      disposeTree(r.updates);
      if (t <= warmup) continue;
      created.add(nextTensorId() - first - 1);
      tensors.add(tf.memory().numTensors);
      bytes.add(tf.memory().numBytes);
      heapSizes.add(heapBytes());
      for (const s of tensorsIn(state)) stateTensors.add(s);
    }
    const stateNow = tensorsIn(state).length;
    disposeTree([state, negated]);
    return { created, tensors, bytes, heapSizes, stateTensors: stateTensors.size, stateNow };
  }

  /** `run`'s guarantees: `perUpdate` tensors made per update, tf.memory() and the heap flat, the same state tensors throughout. */
  function expectFlat(r: ReturnType<typeof run>, perUpdate: number): void {
    expect(r.created).toEqual(new Set([perUpdate]));
    expect(r.tensors.size).toBe(1);
    expect(r.bytes.size).toBe(1);
    expect(r.heapSizes.size).toBe(1);
    expect(r.stateTensors).toBe(r.stateNow);
  }

  const variables = (ts: Tensors): Record<string, tf.Variable> => {
    const out: Record<string, tf.Variable> = {};
    for (const [name, t] of Object.entries(ts)) out[name] = tf.variable(t);
    disposeTree(ts);
    return out;
  };

  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    it(`${name}: 1,000 updates — 2 tensors per parameter and update (u, x + u adopted), tf.memory() and the heap flat, the same state tensors`, () => {
      const start = tf.memory().numTensors;
      const params = variables(randomParams(3));
      const g = randomGrads(params, 11)(1);
      const r = run(make('auto') as InPlaceTransform<any>, params, g, 1000);
      expectFlat(r, 2 * Object.keys(params).length);
      disposeTree([params, g]);
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  const large: [string, () => Transform<any>][] = [
    ['adam', () => adam({ lr: 1e-3 })],
    ['sgd momentum', () => sgd({ lr: 1e-3, momentum: 0.9 })],
  ];
  for (const [name, make] of large) {
    it(`${name}, 1e5 values (SIMD on the heap): 200 updates with the same guarantees; and 200 updates whose x + u is never taken (steps dropped) do not grow the heap`, () => {
      const start = tf.memory().numTensors;
      const params = variables({ w: tf.randomNormal([1e5], 0, 1, 'float32', 1) });
      const g = { w: tf.randomNormal([1e5], 0, 1, 'float32', 2) };
      for (const apply of [true, false]) {
        const r = run(make() as InPlaceTransform<any>, params, g, 200, apply);
        expectFlat(r, apply ? 2 : 1);
      }
      disposeTree([params, g]);
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  it('views are taken after the heap grows: an update that grows the heap gives the right values', () => {
    // A parameter larger than the heap's free room: the update's allocations (u, x + u) grow it.
    const n = 1 << 23;
    const start = tf.memory().numTensors;
    const opt = adam({ lr: 0.5 }) as InPlaceTransform<any>;
    const params = { w: variable(tf.fill([n], 2)) };
    const grads = { w: tf.fill([n], 4) };
    let state = opt.init(params);
    for (let t = 1; t <= 2; t++) {
      const before = heapBytes();
      const r = opt.updateInPlace(grads, state, params, { step: t });
      if (t === 1) expect(heapBytes()).toBeGreaterThan(before);
      disposeReplaced(state, r.state);
      state = r.state;
      addUpdates(params, r.updates);
      disposeTree(r.updates);
    }
    // A constant gradient 4: m̂ = 4 and v̂ = 16 at every step (m₁ = 0.4, v₁ = 0.016; m₂ = 0.76,
    // v₂ = 0.031984, over 1 − β^t = 0.19 and 0.001999), so u = −0.5·4/(√16 + 1e-8) ≈ −0.5 per
    // step: x = 2 → 1.5 → 1.
    const w = heapValues(heap(), params.w)!;
    expect(w[0]).toBeCloseTo(1, 5);
    expect(w[n - 1]).toBeCloseTo(1, 5);
    disposeTree([state, params, grads]);
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('optimize on wasm, in place', () => {
  it('airfoil with adam: the same StepResults (loss, norms) as the pure path, no tensor left behind', async () => {
    await expectNoLeak(async () => {
      expect(await airfoilNorms(adam({ lr: 0.01, weightDecay: 0.01 }))).toEqual(await airfoilNorms(withoutInPlace(adam({ lr: 0.01, weightDecay: 0.01 }))));
    });
  });
});
