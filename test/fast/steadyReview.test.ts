import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { adagrad, adam, disposeReplaced, disposeTree, logisticRegression, restoreState, serializeState, type Params, type Tensors, type Transform } from '../../src/index';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { arrayTrainer } from '../../src/fast/arrayTrainer';
import type { ArrayTransform } from '../../src/optimizers/fusedChain';
import { mulberry32 } from '../../streams/sources/mulberry32';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * PyTorch's Adam (torch.optim.Adam, amsgrad off, no weight decay), in float64, one parameter:
 *   m_t = β1·m + (1 − β1)·g,  v_t = β2·v + (1 − β2)·g²,
 *   step_size = η_t / (1 − β1^t),  denom = √v_t / √(1 − β2^t) + ε,  x_t = x − step_size·m_t / denom
 * with t the parameter's own step counter (1, 2, … over the whole run, whatever η_t does).
 */
function adamRef(x0: readonly number[], gs: readonly (readonly number[])[], lrs: readonly number[], b1 = 0.9, b2 = 0.999, eps = 1e-8): number[][] {
  const x = [...x0];
  const m = x0.map(() => 0);
  const v = x0.map(() => 0);
  const out: number[][] = [];
  gs.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < x.length; i++) {
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const stepSize = lrs[k] / (1 - b1 ** t);
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - b2 ** t) + eps;
      x[i] -= (stepSize * m[i]) / denom;
    }
    out.push([...x]);
  });
  return out;
}

/**
 * PyTorch's Adagrad (torch.optim.Adagrad, no weight decay), in float64, one parameter:
 *   clr = η / (1 + (t − 1)·lr_decay),  sum += g²,  x_t = x − clr·g / (√sum + ε)
 */
function adagradRef(x0: readonly number[], gs: readonly (readonly number[])[], lr: number, lrDecay: number, eps = 1e-10, initial = 0): number[][] {
  const x = [...x0];
  const sum = x0.map(() => initial);
  const out: number[][] = [];
  gs.forEach((g, k) => {
    const clr = lr / (1 + k * lrDecay);
    for (let i = 0; i < x.length; i++) {
      sum[i] += g[i] * g[i];
      x[i] -= (clr * g[i]) / (Math.sqrt(sum[i]) + eps);
    }
    out.push([...x]);
  });
  return out;
}

/** Seeded gradients: `steps` rows for a parameter of `size` values, signs and scales varying (float32-exact). */
function gradStream(seed: number, steps: number, size: number): number[][] {
  const rand = mulberry32(seed);
  return Array.from({ length: steps }, () => Array.from({ length: size }, () => Math.fround((rand() * 2 - 1) * 10 ** (rand() * 2 - 1))));
}

const close = (got: ArrayLike<number>, want: readonly number[], rel = 2e-5) =>
  want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThanOrEqual(rel * Math.max(1e-3, Math.abs(w))));

/**
 * `updateArrays` driven by a caller that holds its own arrays (`ArrayInputs`): the gradient and
 * parameter tensors are made once (their shapes are what the plans check, as in `arrayTrainer`),
 * the values come from `g` and `x` each update, and x_t = out.next is kept by the caller.
 */
function driver(opt: ArrayTransform<unknown[]>, x0: Record<string, number[]>) {
  const names = Object.keys(x0);
  const grads: Tensors = {};
  const params: Tensors = {};
  const out: Record<string, { update: Float32Array; next: Float32Array; updateSq: number; gradSq: number }> = {};
  const x: Record<string, Float32Array> = {};
  for (const n of names) {
    grads[n] = tf.zeros([x0[n].length]);
    params[n] = tf.tensor(x0[n]);
    out[n] = { update: new Float32Array(x0[n].length), next: new Float32Array(x0[n].length), updateSq: 0, gradSq: 0 };
    x[n] = Float32Array.from(x0[n]);
  }
  const run = (state: unknown[]) => {
    let s = state;
    return {
      step(g: Record<string, readonly number[]>, ctx: { step: number; epoch?: number; hyper?: Record<string, number> }) {
        const arrays = { g: names.map((n) => Float32Array.from(g[n])), x: names.map((n) => x[n]) };
        const r = opt.updateArrays(grads, s, params, { epoch: 1, ...ctx }, out, arrays);
        if (r.replaced) disposeReplaced(s, r.state);
        s = r.state;
        if (r.bad === undefined) for (const n of names) x[n] = out[n].next.slice();
        return r;
      },
      get state() {
        return s;
      },
    };
  };
  return { names, grads, params, x, run, dispose: () => disposeTree([grads, params]) };
}

type Counted = { count: number; params?: Record<string, { count: number } & Record<string, unknown>> };
/** Every count of a state: each part's own, then each parameter's, in order. */
function counts(state: unknown[]): number[] {
  const all: number[] = [];
  for (const part of state as Counted[]) {
    all.push(part.count);
    for (const p of Object.values(part.params ?? {})) all.push(p.count);
  }
  return all;
}

describe('steady updates: bias corrections and learning-rate decay count every update', () => {
  it('adam through 12 updates (10 of them steady), two parameters: x_t as PyTorch’s formula, every count 12', () => {
    const opt = adam({ lr: 0.05 }) as ArrayTransform<unknown[]>;
    const x0 = { a: [0.5, -1, 2], b: [0.25] };
    const d = driver(opt, x0);
    const run = d.run(opt.init(d.params));
    const ga = gradStream(1, 12, 3);
    const gb = gradStream(2, 12, 1);
    const hyper = {};
    for (let t = 1; t <= 12; t++) {
      const before = run.state;
      const r = run.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
      if (t >= 3) expect(r.state).toBe(before); // advanced in its own records
    }
    // PyTorch: torch.optim.Adam([a, b], lr=0.05) fed the same gradients (adamRef above).
    close(d.x.a, adamRef(x0.a, ga, Array(12).fill(0.05))[11]);
    close(d.x.b, adamRef(x0.b, gb, Array(12).fill(0.05))[11]);
    expect(counts(run.state)).toEqual(Array(counts(run.state).length).fill(12));
    disposeTree(run.state);
    d.dispose();
  });

  it('adagrad with lrDecay through 10 updates (8 steady): clr = η/(1 + (t − 1)·δ) with t the update count', () => {
    const opt = adagrad({ lr: 0.5, lrDecay: 0.3 }) as ArrayTransform<unknown[]>;
    const x0 = { w: [1, -2], c: [0.5, 0.5, -0.5] };
    const d = driver(opt, x0);
    const run = d.run(opt.init(d.params));
    const gw = gradStream(3, 10, 2);
    const gc = gradStream(4, 10, 3);
    const hyper = {};
    for (let t = 1; t <= 10; t++) run.step({ w: gw[t - 1], c: gc[t - 1] }, { step: t, hyper });
    close(d.x.w, adagradRef(x0.w, gw, 0.5, 0.3)[9]);
    close(d.x.c, adagradRef(x0.c, gc, 0.5, 0.3)[9]);
    expect(new Set(counts(run.state))).toEqual(new Set([10]));
    disposeTree(run.state);
    d.dispose();
  });

  it('a new ctx.hyper record mid-run (η 0.01 → 0.05 → the option again → 0.05 by the old record): η follows the records, t never restarts', () => {
    const opt = adam({ lr: 0.01 }) as ArrayTransform<unknown[]>;
    const x0 = { w: [1, 2] };
    const d = driver(opt, x0);
    const run = d.run(opt.init(d.params));
    const g = gradStream(5, 14, 2);
    const h1 = {};
    const h2 = { lr: 0.05 };
    const h3 = {};
    const records = [h1, h1, h1, h1, h2, h2, h2, h3, h3, h3, h2, h2, { lr: 0.05 }, { lr: 0.01 }];
    const lrs = [0.01, 0.01, 0.01, 0.01, 0.05, 0.05, 0.05, 0.01, 0.01, 0.01, 0.05, 0.05, 0.05, 0.01];
    const used: number[] = [];
    for (let t = 1; t <= 14; t++) used.push(run.step({ w: g[t - 1] }, { step: t, hyper: records[t - 1] }).used.lr);
    expect(used).toEqual(lrs);
    close(d.x.w, adamRef(x0.w, g, lrs)[13]);
    expect(new Set(counts(run.state))).toEqual(new Set([14]));
    disposeTree(run.state);
    d.dispose();
  });

  it('a schedule (η_t = 0.1/t) is never steady: used.lr and x_t follow η_t at every update', () => {
    const opt = adam({ lr: (t: number) => 0.1 / t }) as ArrayTransform<unknown[]>;
    const x0 = { w: [0.3, -0.7, 1.1] };
    const d = driver(opt, x0);
    const run = d.run(opt.init(d.params));
    const g = gradStream(6, 8, 3);
    const hyper = {};
    const lrs = g.map((_, k) => 0.1 / (k + 1));
    const used: number[] = [];
    for (let t = 1; t <= 8; t++) used.push(run.step({ w: g[t - 1] }, { step: t, hyper }).used.lr);
    expect(used).toEqual(lrs);
    close(d.x.w, adamRef(x0.w, g, lrs)[7]);
    disposeTree(run.state);
    d.dispose();
  });
});

describe('steady updates: state handed around', () => {
  it('a checkpoint after 6 updates (4 steady) holds count 6 and resumes: live and resumed both reach PyTorch’s x_12, every count 12', () => {
    const opt = adam({ lr: 0.05 }) as ArrayTransform<unknown[]>;
    const x0 = { a: [0.5, -1, 2], b: [0.25] };
    const ga = gradStream(7, 12, 3);
    const gb = gradStream(8, 12, 1);
    const d = driver(opt, x0);
    const live = d.run(opt.init(d.params));
    const hyper = {};
    for (let t = 1; t <= 6; t++) live.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
    const saved = JSON.parse(JSON.stringify({ state: serializeState(live.state), a: Array.from(d.x.a), b: Array.from(d.x.b) }));
    const restored = restoreState(saved.state, opt as Transform<unknown[]>, d.params) as unknown[];
    expect(new Set(counts(restored))).toEqual(new Set([6]));
    for (let t = 7; t <= 12; t++) live.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
    const ref = { a: adamRef(x0.a, ga, Array(12).fill(0.05))[11], b: adamRef(x0.b, gb, Array(12).fill(0.05))[11] };
    close(d.x.a, ref.a);
    close(d.x.b, ref.b);
    expect(new Set(counts(live.state))).toEqual(new Set([12]));
    // The same transform resumes the checkpoint (its last update was the live state's).
    const d2 = driver(opt, { a: saved.a, b: saved.b });
    const resumed = d2.run(restored);
    for (let t = 7; t <= 12; t++) resumed.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
    close(d2.x.a, ref.a);
    close(d2.x.b, ref.b);
    expect(new Set(counts(resumed.state))).toEqual(new Set([12]));
    disposeTree([live.state, resumed.state]);
    d.dispose();
    d2.dispose();
  });

  it('two states on one transform: alternating, and in turns long enough to go steady, each follows its own PyTorch run', () => {
    const opt = adam({ lr: 0.05 }) as ArrayTransform<unknown[]>;
    const x0 = { w: [1, -1] };
    const d = driver(opt, x0);
    // Two states on the same gradient and parameter records (the driver's), each with its own x.
    const xa = Float32Array.from(x0.w);
    const xb = Float32Array.from([-0.5, 0.5]);
    const A = d.run(opt.init(d.params));
    const B = d.run(opt.init(d.params));
    const ga = gradStream(9, 14, 2);
    const gb = gradStream(10, 14, 2);
    const hyper = {};
    const order = 'AABAAAABBBBABAAAABBBABBABABB'; // 14 of each: alternating, and runs of 4 (steady from the third)
    let ta = 0;
    let tb = 0;
    for (const who of order) {
      if (who === 'A') {
        d.x.w = xa.slice();
        A.step({ w: ga[ta++] }, { step: ta, hyper });
        xa.set(d.x.w);
      } else {
        d.x.w = xb.slice();
        B.step({ w: gb[tb++] }, { step: tb, hyper });
        xb.set(d.x.w);
      }
    }
    expect([ta, tb]).toEqual([14, 14]);
    close(xa, adamRef(x0.w, ga, Array(14).fill(0.05))[13]);
    close(xb, adamRef([-0.5, 0.5], gb, Array(14).fill(0.05))[13]);
    expect(new Set(counts(A.state))).toEqual(new Set([14]));
    expect(new Set(counts(B.state))).toEqual(new Set([14]));
    disposeTree([A.state, B.state]);
    d.dispose();
  });

  it('a moment shared after 4 updates (the second parameter’s v cloned): new records counted 5, then steady again to PyTorch’s x_9', () => {
    const opt = adam({ lr: 0.05 }) as ArrayTransform<unknown[]>;
    const x0 = { a: [0.5, -1, 2], b: [0.25, 4] };
    const ga = gradStream(11, 9, 3);
    const gb = gradStream(12, 9, 2);
    const d = driver(opt, x0);
    const run = d.run(opt.init(d.params));
    const hyper = {};
    for (let t = 1; t <= 4; t++) run.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
    const before = run.state;
    const adamState = (s: unknown[]) => s[1] as { count: number; params: Record<string, { count: number; v: tf.Tensor }> };
    const held = adamState(before).params.b.v.clone();
    const r5 = run.step({ a: ga[4], b: gb[4] }, { step: 5, hyper });
    expect(r5.replaced).toBe(true);
    expect(r5.state).not.toBe(before);
    expect(new Set(counts(r5.state))).toEqual(new Set([5]));
    held.dispose();
    for (let t = 6; t <= 9; t++) {
      const r = run.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
      if (t >= 7) expect(r.state).toBe(run.state);
    }
    close(d.x.a, adamRef(x0.a, ga, Array(9).fill(0.05))[8]);
    close(d.x.b, adamRef(x0.b, gb, Array(9).fill(0.05))[8]);
    expect(new Set(counts(run.state))).toEqual(new Set([9]));
    disposeTree(run.state);
    d.dispose();
  });

  it('a non-finite gradient in a steady update is reported naming its parameter; the run before it matches PyTorch', () => {
    const opt = adam({ lr: 0.05 }) as ArrayTransform<unknown[]>;
    const x0 = { a: [0.5, -1], b: [0.25] };
    const ga = gradStream(13, 5, 2);
    const gb = gradStream(14, 5, 1);
    const d = driver(opt, x0);
    const run = d.run(opt.init(d.params));
    const hyper = {};
    for (let t = 1; t <= 4; t++) run.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
    close(d.x.a, adamRef(x0.a, ga.slice(0, 4), Array(4).fill(0.05))[3]);
    const r = run.step({ a: ga[4], b: [NaN] }, { step: 5, hyper });
    expect(r.bad).toBe('b');
    disposeTree(run.state);
    d.dispose();
  });

  it('a switch to the wasm backend mid-run and back: the kernels work on copies there, counts and x_t stay PyTorch’s', async () => {
    const opt = adam({ lr: 0.05 }) as ArrayTransform<unknown[]>;
    const x0 = { a: [0.5, -1, 2], b: [0.25] };
    const ga = gradStream(15, 12, 3);
    const gb = gradStream(16, 12, 1);
    await tf.setBackend('cpu');
    const d = driver(opt, x0);
    const run = d.run(opt.init(d.params));
    const hyper = {};
    try {
      for (let t = 1; t <= 12; t++) {
        if (t === 5) await tf.setBackend('wasm');
        if (t === 9) await tf.setBackend('cpu');
        run.step({ a: ga[t - 1], b: gb[t - 1] }, { step: t, hyper });
      }
    } finally {
      await tf.setBackend('cpu');
    }
    close(d.x.a, adamRef(x0.a, ga, Array(12).fill(0.05))[11]);
    close(d.x.b, adamRef(x0.b, gb, Array(12).fill(0.05))[11]);
    expect(new Set(counts(run.state))).toEqual(new Set([12]));
    disposeTree(run.state);
    d.dispose();
  });
});

describe('arrayTrainer with a parameter record in another order than the loss’s names', () => {
  it('adam, b before w, 10 steps (8 steady) of one example: w and b as a float64 logistic regression under PyTorch’s Adam', () => {
    // Loss of one example x = [1, −2], y = 1: L = log(1 + e^{−z}), z = w·x + b; ∂L/∂w = (σ(z) − 1)·x, ∂L/∂b = σ(z) − 1.
    const m = logisticRegression(2);
    const params = { b: m.params.b, w: m.params.w } as Params;
    const opt = adam({ lr: 0.1 }) as ArrayTransform<unknown[]>;
    const trainer = arrayTrainer(analyticOf(m.loss)!, params, opt);
    const x = Float32Array.of(1, -2);
    let state = opt.init(params);
    const hyper = {};
    for (let t = 1; t <= 10; t++) {
      const r = trainer.step(state, x, [1], 1, { step: t, epoch: 1, hyper });
      if ('refused' in r) throw new Error('refused');
      if (r.replaced) disposeReplaced(state, r.state);
      state = r.state;
    }
    // Reference: the same ten steps in float64 (adamRef's equations, one step at a time on [w0, w1, b]).
    let xs = [0, 0, 0];
    let mv = { m: [0, 0, 0], v: [0, 0, 0] };
    for (let t = 1; t <= 10; t++) {
      const z = xs[0] * 1 + xs[1] * -2 + xs[2];
      const dz = 1 / (1 + Math.exp(-z)) - 1;
      const g = [dz * 1, dz * -2, dz];
      const m1 = mv.m.map((mi, i) => 0.9 * mi + 0.1 * g[i]);
      const v1 = mv.v.map((vi, i) => 0.999 * vi + 0.001 * g[i] * g[i]);
      xs = xs.map((xi, i) => xi - ((0.1 / (1 - 0.9 ** t)) * m1[i]) / (Math.sqrt(v1[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
      mv = { m: m1, v: v1 };
    }
    close(m.params.w.dataSync(), [xs[0], xs[1]], 1e-4);
    close(m.params.b.dataSync(), [xs[2]], 1e-4);
    expect(new Set(counts(state as unknown[]))).toEqual(new Set([10]));
    trainer.dispose();
    disposeTree(state);
    m.dispose();
  });
});
