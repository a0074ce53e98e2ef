import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BehaviorSubject, Subject, lastValueFrom, map, of, take, tap, toArray, type Observable, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accuracy, adadelta, adagrad, adam, adamax, adamw, chain, clipByGlobalNorm, cosine, denseModel, lion, logLoss, logisticRegression, mae, mlp, rmsprop, sgd, softmaxRegression, type Transform } from '../../src/index';
import type { ExampleTable } from '../../src/online/ExampleTable';
import type { Params } from '../../src/types';
import { linearRegression } from '../../src/models/linearRegression';
import { airfoil } from '../../streams/sources/airfoil';
import { minibatches } from '../../streams/sources/minibatches';
import { replay } from '../../streams/sources/replay';
import { fromExamples } from '../../streams/sources/fromExamples';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { gradients } from '../../streams/operators/gradients';
import { hyper } from '../../streams/operators/hyper';
import { learningRate } from '../../streams/operators/learningRate';
import { override } from '../../streams/operators/override';
import { optimize } from '../../streams/operators/optimize';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import { scopeOf } from '../../streams/RunScope';
import { checkpoint } from '../../streams/operators/checkpoint';
import { resume } from '../../streams/resume';
import type { Step, StepResult } from '../../streams/Step';
import { expectNoLeak } from '../helpers';

/** |a − b| ≤ tol·max(|a|, |b|) + 1e-7 for every pair. */
function expectClose(a: readonly number[], b: readonly number[], what: string, tol = 1e-6): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    if (!(Math.abs(v - b[i]) <= tol * Math.max(Math.abs(v), Math.abs(b[i])) + 1e-7)) throw new Error(`${what}[${i}]: ${v} vs ${b[i]}`);
  });
}

const fusedOf = (r: StepResult) => r.info.fused === 1;

/** A seeded table: x ~ U(−1, 1)^d; y = [x₀ − x₁ > 0] (binary), the class of the largest of x₀…x_{k−1} (k classes), or x₀ − 2x₁ + noise (regression). */
function table(n: number, d: number, kind: 'binary' | 'regression' | number): ExampleTable {
  const rand = mulberry32(9);
  const xs = new Float32Array(n * d);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) xs[i * d + j] = rand() * 2 - 1;
    const x = xs.subarray(i * d, (i + 1) * d);
    if (kind === 'binary') ys[i] = x[0] - x[1] > 0 ? 1 : 0;
    else if (kind === 'regression') ys[i] = x[0] - 2 * x[1] + 0.1 * (rand() - 0.5);
    else {
      let best = 0;
      for (let c = 1; c < kind; c++) if (x[c] > x[best]) best = c;
      ys[i] = best;
    }
  }
  return { n, d, xs, ys };
}

const flat = (params: Params) => Object.keys(params).flatMap((n) => Array.from(params[n].dataSync()));

/** The optimizers with an array kernel, each in the configurations its kernel branches on. */
const OPTIMIZERS: Record<string, () => Transform<any>> = {
  sgd: () => sgd({ lr: 0.1 }),
  momentum: () => sgd({ lr: 0.05, momentum: 0.9, dampening: 0.1 }),
  nesterov: () => sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  adam: () => adam({ lr: 0.01 }),
  amsgrad: () => adam({ lr: 0.01, amsgrad: true, weightDecay: 0.1 }),
  adamw: () => adamw({ lr: 0.01, weightDecay: 0.1 }),
  adamax: () => adamax({ lr: 0.01 }),
  adagrad: () => adagrad({ lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 }),
  rmsprop: () => rmsprop({ lr: 0.01, alpha: 0.9 }),
  'rmsprop centred, momentum': () => rmsprop({ lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5 }),
  adadelta: () => adadelta({ lr: 1, rho: 0.9 }),
};

/** The models, each with the source its data comes from and, for online ones, the evaluation. */
interface Case {
  readonly model: () => { params: Params; loss: (p: Params, b: any) => tf.Scalar; dispose(): void; scoreRows?: unknown };
  readonly steps: () => Observable<Step<any>>;
  readonly evaluate?: (m: any) => OperatorFunction<Step<any>, Step<any>>;
}

const CASES: Record<string, Case> = {
  'linear (airfoil minibatches, shuffled)': {
    model: () => linearRegression(5, { seed: 1 }),
    steps: () => minibatches(airfoil(), { batchSize: 10, shuffle: true, seed: 3 }) as Observable<Step<any>>,
  },
  'logistic (replay, test-then-train)': {
    model: () => logisticRegression(4),
    steps: () => replay(table(120, 4, 'binary'), { batchSize: 3 }),
    evaluate: (m) => progressiveValidation(m, { metrics: [accuracy(), logLoss()] }),
  },
  'softmax (replay, 3 classes)': {
    model: () => softmaxRegression(4, 3),
    steps: () => replay(table(120, 4, 3), { batchSize: 4 }),
    evaluate: (m) => progressiveValidation(m, { metrics: [accuracy()] }),
  },
  'mlp 4-8-1 tanh (replay, regression)': {
    model: () => mlp([4, 8, 1], { activation: 'tanh', seed: 2 }),
    steps: () => replay(table(120, 4, 'regression'), { batchSize: 5 }),
    evaluate: (m) => progressiveValidation(m, { metrics: [mae()] }),
  },
};

/** One run of a case: results and final parameters, with `fast` forwarded to `gradients`. */
async function run(c: Case, opt: () => Transform<any>, fast: boolean | 'auto', extra: OperatorFunction<Step<any>, Step<any>>[] = []) {
  const m = c.model();
  const ops: OperatorFunction<any, any>[] = [...(c.evaluate ? [c.evaluate(m)] : []), gradients(m.loss, m.params, { fast }), ...extra, optimize(opt()), applyUpdates(m.params), toArray()];
  const results = await lastValueFrom((c.steps() as Observable<any>).pipe(...(ops as [OperatorFunction<any, any>])));
  const params = flat(m.params);
  m.dispose();
  return { results: results as unknown as StepResult[], params };
}

describe('the fused path agrees with the general path (1e-6 relative) for every optimizer with an array kernel and every model', () => {
  for (const [caseName, c] of Object.entries(CASES)) {
    for (const [optName, opt] of Object.entries(OPTIMIZERS)) {
      it(`${caseName}, ${optName}`, async () => {
        const general = await run(c, opt, false);
        const fused = await run(c, opt, 'auto');
        expect(general.results.some(fusedOf)).toBe(false);
        expect(fused.results.every(fusedOf)).toBe(true);
        expect(fused.results.map((r) => r.step)).toEqual(general.results.map((r) => r.step));
        expect(fused.results.map((r) => r.hyper)).toEqual(general.results.map((r) => r.hyper));
        expect(fused.results.map((r) => r.lr)).toEqual(general.results.map((r) => r.lr));
        expect(fused.results.map((r) => [r.epoch, r.size, r.examples])).toEqual(general.results.map((r) => [r.epoch, r.size, r.examples]));
        expectClose(fused.results.map((r) => r.loss), general.results.map((r) => r.loss), 'loss');
        expectClose(fused.results.map((r) => r.gradNorm), general.results.map((r) => r.gradNorm), 'gradNorm');
        expectClose(fused.results.map((r) => r.updateNorm), general.results.map((r) => r.updateNorm), 'updateNorm');
        expectClose(fused.params, general.params, 'params');
        if (c.evaluate) {
          const metrics = (rs: StepResult[]) => rs.flatMap((r) => Object.values(r.online!.metrics!));
          expectClose(metrics(fused.results), metrics(general.results), 'metrics');
        }
      });
    }
  }
});

interface TorchReference {
  p0: number[][];
  grads: number[][][];
  optimizers: Record<string, { torch: string; kwargs: Record<string, number | boolean>; params: number[][][] }>;
}
const torch: TorchReference = JSON.parse(readFileSync(new URL('../fixtures/torch_reference.json', import.meta.url), 'utf8'));

describe('the fused path against PyTorch (test/fixtures/torch_reference.json)', () => {
  // A linear layer W [2, 3] (b [3] = 0) whose analytic gradient at step t is PyTorch's fixed
  // gradient G_t: with L = (1/(n·out)) Σ (XW + b − Y)²/2 (n = 4, out = 3) and rows
  // X = [e₁; e₂; −e₁; −e₂], the residuals R = XW + b − Y give
  //   ∂L/∂W = XᵀR/12 = [R₁ − R₃; R₂ − R₄]/12,   ∂L/∂b = (R₁ + R₂ + R₃ + R₄)/12.
  // Targets Y₁ = P₁ − 6G₁, Y₃ = −Y₁, Y₂ = P₂ − 6G₂, Y₄ = −Y₂ with P = PyTorch's parameter before
  // step t give R₁ − R₃ = 2(W₁ − P₁) + 12G₁ (and so for row 2; b cancels), so
  // ∂L/∂W = G_t + (W − P)/6, which is G_t while the run follows PyTorch's trajectory: W after each
  // of the 40 steps must be PyTorch's to float32 rounding. (R₁ + R₃ = 2b: ∂L/∂b is 0 only up to
  // rounding, which scale-invariant optimizers such as Adam turn into ±lr steps; b does not enter
  // ∂L/∂W, so only W is compared.)
  const configs: Record<string, () => Transform<any>> = {
    sgd_momentum: () => sgd({ lr: 0.1, momentum: 0.9 }),
    sgd_nesterov: () => sgd({ lr: 0.1, momentum: 0.9, nesterov: true }),
    adam: () => adam({ lr: 0.01 }),
    adamw: () => adamw({ lr: 0.01, weightDecay: 0.1 }),
    rmsprop_centered_momentum: () => rmsprop({ lr: 0.01, alpha: 0.9, centered: true, momentum: 0.5 }),
    adadelta: () => adadelta({ lr: 1, rho: 0.9 }),
  };
  for (const [name, opt] of Object.entries(configs)) {
    it(`${name}: every one of 40 steps matches PyTorch to 1e-5 relative + 1e-6, on the fused path`, async () => {
      const ref = torch.optimizers[name];
      const xs: number[][] = [];
      const ys: number[][] = [];
      for (let t = 0; t < torch.grads.length; t++) {
        const P = t === 0 ? torch.p0 : ref.params[t - 1];
        const G = torch.grads[t];
        const y1 = P[0].map((p, j) => p - 6 * G[0][j]);
        const y2 = P[1].map((p, j) => p - 6 * G[1][j]);
        xs.push([1, 0], [0, 1], [-1, 0], [0, -1]);
        ys.push(y1, y2, y1.map((v) => -v), y2.map((v) => -v));
      }
      const m = denseModel({ sizes: [2, 3], names: [{ w: 'w', b: 'b' }], activation: 'relu', output: 'linear', weights: [tf.tensor2d(torch.p0)] });
      const seen: number[][] = [];
      const results = await lastValueFrom(
        minibatches({ xs, ys }, { batchSize: 4 }).pipe(
          gradients(m.loss, m.params),
          optimize(opt()),
          applyUpdates(m.params, { track: ['w'] }),
          tap((r) => seen.push([...r.values!.w])),
          toArray(),
        ),
      );
      m.dispose();
      expect(results.every(fusedOf)).toBe(true);
      seen.forEach((v, i) => expectClose(v, ref.params[i].flat(), `${name} step ${i + 1}`, 1e-5));
    });
  }
});

describe('the fused path is chosen automatically, and only where it applies', () => {
  const model = () => logisticRegression(4);
  const data = table(20, 4, 'binary');
  const results = async (build: (m: ReturnType<typeof model>) => Observable<StepResult>) => {
    const m = model();
    const rs = await lastValueFrom(build(m).pipe(toArray()));
    m.dispose();
    return rs;
  };
  it('taken: replay → progressiveValidation → gradients → learningRate → hyper → override → optimize → applyUpdates; minibatches; fromExamples', async () => {
    const a = await results((m) =>
      replay(data, { batchSize: 2 }).pipe(
        progressiveValidation(m, { metrics: [accuracy()] }),
        gradients(m.loss, m.params),
        learningRate(0.1),
        hyper('momentum', 0.5),
        override('lr', of(0.2)),
        optimize(sgd({ momentum: 0.9 })),
        applyUpdates(m.params),
      ),
    );
    expect(a.length).toBe(10);
    expect(a.every(fusedOf)).toBe(true);
    expect(a[0].hyper).toEqual({ lr: 0.2, momentum: 0.5, weightDecay: 0, dampening: 0 });
    expect(a[0].info['override.lr']).toBe(0.2);
    const b = await results((m) => minibatches({ xs: [[1, 2, 3, 4]], ys: [1] }, { batchSize: 1, epochs: 3 }).pipe(gradients(m.loss, m.params), optimize(adam()), applyUpdates(m.params)));
    expect(b.map(fusedOf)).toEqual([true, true, true]);
    const c = await results((m) => fromExamples(of({ x: [1, 2, 3, 4], y: 1 }, { x: [0, 1, 0, 1], y: 0 }), { batchSize: 1 }).pipe(gradients(m.loss, m.params), optimize(adam()), applyUpdates(m.params)));
    expect(c.map(fusedOf)).toEqual([true, true]);
  });
  it('not taken: fast: false, a user operator in between, a loss without analytic gradient, an optimizer without array kernel, optimize options it does not follow, another backend-independent break', async () => {
    const general = [
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(gradients(m.loss, m.params, { fast: false }), optimize(sgd()), applyUpdates(m.params)),
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(gradients(m.loss, m.params), tap(() => undefined), optimize(sgd()), applyUpdates(m.params)),
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(map((s) => s), gradients(m.loss, m.params), optimize(sgd()), applyUpdates(m.params)),
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(gradients((p, b) => m.loss(p, b), m.params), optimize(sgd()), applyUpdates(m.params)),
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(gradients(m.loss, m.params), optimize(chain(clipByGlobalNorm(1), sgd())), applyUpdates(m.params)),
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(gradients(m.loss, m.params), optimize(lion()), applyUpdates(m.params)),
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(gradients(m.loss, m.params), optimize(sgd({ fused: false })), applyUpdates(m.params)),
      (m: ReturnType<typeof model>) => replay(data, { batchSize: 2 }).pipe(gradients(m.loss, m.params), optimize(sgd(), { onState: () => undefined }), applyUpdates(m.params)),
    ];
    for (const build of general) {
      const rs = await results(build);
      expect(rs.length).toBe(10);
      expect(rs.some(fusedOf)).toBe(false);
    }
  });
});

describe('the fused path keeps the contracts of the general path', () => {
  it('take(n) stops after exactly n updates: the parameters are those after step n, on both paths', async () => {
    const after = async (fast: boolean | 'auto', n: number) => {
      const m = linearRegression(5, { seed: 1 });
      const rs = await lastValueFrom(minibatches(airfoil(), { batchSize: 10 }).pipe(gradients(m.loss, m.params, { fast }), optimize(adam({ lr: 0.01 })), applyUpdates(m.params), take(n), toArray()));
      const p = flat(m.params);
      m.dispose();
      return { rs, p };
    };
    for (const n of [1, 3, 17]) {
      const f = await after('auto', n);
      const g = await after(false, n);
      expect(f.rs.length).toBe(n);
      expect(f.rs.every(fusedOf)).toBe(true);
      expectClose(f.p, g.p, `params after ${n}`);
    }
  });

  it('after every emitted result the parameters are those after that step', async () => {
    const m = logisticRegression(4);
    const g = logisticRegression(4);
    const data = table(30, 4, 'binary');
    const ours: number[][] = [];
    await lastValueFrom(replay(data, { batchSize: 1 }).pipe(gradients(m.loss, m.params), optimize(sgd({ lr: 0.3 })), applyUpdates(m.params), tap(() => ours.push(flat(m.params)))));
    const theirs: number[][] = [];
    await lastValueFrom(replay(data, { batchSize: 1 }).pipe(gradients(g.loss, g.params, { fast: false }), optimize(sgd({ lr: 0.3 })), applyUpdates(g.params), tap(() => theirs.push(flat(g.params)))));
    ours.forEach((p, i) => expectClose(p, theirs[i], `params after step ${i + 1}`));
    m.dispose();
    g.dispose();
  });

  it('a live override applies from the next step; a schedule per step', async () => {
    const m = linearRegression(5, { seed: 1 });
    const slider = new BehaviorSubject<number | null>(null);
    const rs = await lastValueFrom(
      minibatches(airfoil(), { batchSize: 10 }).pipe(
        gradients(m.loss, m.params),
        learningRate(cosine({ base: 0.05, tMax: 150 })),
        override('lr', slider),
        optimize(sgd()),
        applyUpdates(m.params),
        tap((r) => r.step === 10 && slider.next(0.001)),
        toArray(),
      ),
    );
    m.dispose();
    expect(rs.every(fusedOf)).toBe(true);
    expect(rs[9].lr).toBe(cosine({ base: 0.05, tMax: 150 })(10));
    expect(rs[10].lr).toBe(0.001);
    expect(rs[10].info['override.lr']).toBe(0.001);
  });

  it('a hyperparameter the optimizer does not read fails the step, naming it', async () => {
    const m = logisticRegression(4);
    await expect(lastValueFrom(replay(table(4, 4, 'binary'), { batchSize: 1 }).pipe(gradients(m.loss, m.params), hyper('momentum', 0.9), optimize(adam()), applyUpdates(m.params)))).rejects.toThrow(
      /hyper\.momentum/,
    );
    m.dispose();
  });

  it('a non-finite x + u fails the step naming the parameter, before anything is assigned, as on the general path', async () => {
    const failing = async (fast: boolean) => {
      const m = linearRegression(5, { seed: 1 });
      const rs: StepResult[] = [];
      let kept: number[] = [];
      const error = await lastValueFrom(
        minibatches(airfoil(), { batchSize: 10 }).pipe(gradients(m.loss, m.params, { fast }), optimize(sgd({ lr: 1e38 })), applyUpdates(m.params), tap((r) => rs.push(r)), tap(() => (kept = flat(m.params)))),
      ).then(
        () => 'none',
        (e: Error) => e.message,
      );
      const after = flat(m.params);
      m.dispose();
      return { error, steps: rs.length, fused: rs.every(fusedOf), kept, after };
    };
    const f = await failing(true);
    const g = await failing(false);
    expect(f.error).toMatch(/`(params|updates)\.w`/);
    expect(f.error).toBe(g.error);
    expect(f.steps).toBe(g.steps);
    expect(f.fused).toBe(true);
    expect(f.after).toEqual(f.kept); // the failing step assigned nothing
    expectClose(f.after, g.after, 'params');
  });

  it('a bad label fails the step as on the general path', async () => {
    const m = logisticRegression(2);
    const bad: ExampleTable = { n: 2, d: 2, xs: Float32Array.of(1, 2, 3, 4), ys: Float32Array.of(1, 3) };
    const message = async (fast: boolean) =>
      lastValueFrom(replay(bad, { batchSize: 1 }).pipe(gradients(m.loss, m.params, { fast }), optimize(sgd()), applyUpdates(m.params))).then(
        () => 'none',
        (e: Error) => e.message,
      );
    expect(await message(true)).toBe(await message(false));
    m.dispose();
  });

  it('scopeOf(result) links results to their run; a checkpoint of a fused run resumes on the general path bit-identically, and back', async () => {
    const data = table(60, 4, 'binary');
    // The general path with the same arithmetic (analytic gradients, the same kernel): a user's
    // operator in the pipeline breaks the fused chain.
    const pipeline = (m: ReturnType<typeof logisticRegression>, path: 'fused' | 'general', resume?: Record<string, unknown>) =>
      replay(data, { batchSize: 2, ...(resume && { resume: { state: resume } }) }).pipe(
        progressiveValidation(m, { metrics: [accuracy()] }),
        gradients(m.loss, m.params),
        path === 'fused' ? (s: Observable<Step<any>>) => s : tap(() => undefined),
        optimize(adam({ lr: 0.05 })),
        applyUpdates(m.params),
      );
    // Uninterrupted, general path.
    const whole = logisticRegression(4);
    const all = await lastValueFrom(pipeline(whole, 'general').pipe(toArray()));
    for (const [first, second] of [
      ['fused', 'general'],
      ['general', 'fused'],
    ] as const) {
      const m = logisticRegression(4);
      let saved: Record<string, unknown> | undefined;
      let params: number[][] = [];
      await lastValueFrom(
        pipeline(m, first).pipe(
          take(12),
          tap((r) => {
            expect(fusedOf(r)).toBe(first === 'fused');
            saved = JSON.parse(JSON.stringify(scopeOf(r)!.save()));
            params = Object.keys(m.params).map((n) => Array.from(m.params[n].dataSync()));
          }),
        ),
      );
      expect(Object.keys(saved!).sort()).toEqual(['evaluation', 'optimizer', 'source']);
      const r = logisticRegression(4);
      Object.keys(r.params).forEach((n, i) => r.params[n].assign(tf.tensor(params[i], r.params[n].shape)));
      const rest = await lastValueFrom(pipeline(r, second, saved).pipe(toArray()));
      expect(rest.every((x) => fusedOf(x) === (second === 'fused'))).toBe(true);
      expect(rest.map((x) => x.step)).toEqual(all.slice(12).map((x) => x.step));
      // Bit-identical: the same float32 arithmetic on both paths for this model and optimizer.
      expect(flat(r.params)).toEqual(flat(whole.params));
      expect(rest.map((x) => [x.loss, x.gradNorm, x.updateNorm, x.online!.metrics])).toEqual(all.slice(12).map((x) => [x.loss, x.gradNorm, x.updateNorm, x.online!.metrics]));
      m.dispose();
      r.dispose();
    }
    whole.dispose();
  });
});

describe('checkpoint(…) files and resume(…) across the two paths', () => {
  it('files written by a fused run resume on the general path (and back), ending bit for bit as a run never stopped', async () => {
    const data = table(40, 4, 'binary');
    const bits = (p: Params) => flat(p);
    const training = (m: ReturnType<typeof logisticRegression>, path: 'fused' | 'general', dir: string, from?: { state: Record<string, unknown> }) =>
      replay(data, { batchSize: 2, ...(from && { resume: from }) }).pipe(
        progressiveValidation(m, { metrics: [accuracy()] }),
        gradients(m.loss, m.params),
        path === 'fused' ? (s: Observable<Step<any>>) => s : tap(() => undefined),
        optimize(rmsprop({ lr: 0.05, momentum: 0.5 })),
        applyUpdates(m.params),
        checkpoint({ dir, params: m.params, everySteps: 3 }),
      );
    const whole = logisticRegression(4);
    const wholeDir = mkdtempSync(join(tmpdir(), 'rxgrad-fused-'));
    const expected = (await lastValueFrom(training(whole, 'general', wholeDir).pipe(toArray()))).at(-1)!;
    for (const [first, second] of [
      ['fused', 'general'],
      ['general', 'fused'],
    ] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'rxgrad-fused-'));
      const a = logisticRegression(4);
      const cut = await lastValueFrom(training(a, first, dir).pipe(take(8), toArray()));
      expect(cut.every((r) => fusedOf(r) === (first === 'fused'))).toBe(true);
      a.dispose();
      const b = logisticRegression(4);
      const r = resume(dir, b.params);
      expect(r.checkpoint?.step).toBe(6);
      const last = (await lastValueFrom(training(b, second, dir, r.checkpoint).pipe(toArray()))).at(-1)!;
      expect(fusedOf(last)).toBe(second === 'fused');
      expect(last.step).toBe(expected.step);
      expect(last.online!.metrics).toEqual(expected.online!.metrics);
      expect(bits(b.params)).toEqual(bits(whole.params));
      b.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
    whole.dispose();
    rmSync(wholeDir, { recursive: true, force: true });
  });
});

describe('the fused path makes no tensor per step and leaks none', () => {
  it('10,000 steps: no tensor created in steady state, tf.memory() flat, nothing left after', async () => {
    const m = logisticRegression(10);
    const data = table(10_000, 10, 'binary');
    const engine = tf.engine() as unknown as { state: { numTensors: number; nextTensorId?: number } };
    const before = tf.memory().numTensors;
    let idAtWarm = -1;
    let countAtWarm = -1;
    const made = () => tf.tensor([0]);
    const probe = () => {
      // The id the next tensor would get: tensors created so far.
      const t = made();
      const id = t.id;
      t.dispose();
      return id;
    };
    let last: StepResult | undefined;
    await lastValueFrom(
      replay(data, { batchSize: 1 }).pipe(
        progressiveValidation(m, { metrics: [accuracy()] }),
        gradients(m.loss, m.params),
        learningRate(cosine({ base: 0.1, tMax: 10_000 })),
        optimize(adam({ lr: 0.05 })),
        applyUpdates(m.params),
        tap((r) => {
          last = r;
          if (r.step === 100) {
            idAtWarm = probe();
            countAtWarm = engine.state.numTensors;
          }
          if (r.step % 1000 === 0 && r.step > 100) expect(engine.state.numTensors).toBe(countAtWarm);
        }),
      ),
    );
    // One probe tensor after the run: its id is the warm probe's + 1 if no tensor was made between.
    expect(probe()).toBe(idAtWarm + 1);
    expect(last!.step).toBe(10_000);
    expect(fusedOf(last!)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  const leakRun = (m: ReturnType<typeof logisticRegression>, extra: OperatorFunction<StepResult, StepResult>, lr = 0.1) =>
    lastValueFrom(replay(table(50, 4, 'binary'), { batchSize: 2 }).pipe(progressiveValidation(m, { metrics: [accuracy()] }), gradients(m.loss, m.params), optimize(adam({ lr })), applyUpdates(m.params), extra)).catch(() => undefined);

  it('complete, error, early unsubscribe (take), a throwing tap: tf.memory() unchanged', async () => {
    const m = logisticRegression(4);
    await expectNoLeak(() => leakRun(m, tap(() => undefined)));
    await expectNoLeak(() => leakRun(m, take(3)));
    await expectNoLeak(() =>
      leakRun(
        m,
        tap((r) => {
          if (r.step === 4) throw new Error('boom');
        }),
      ),
    );
    await expectNoLeak(() => leakRun(m, tap(() => undefined), 1e38));
    await expectNoLeak(() => {
      const s = new Subject<number>();
      const sub = replay(table(50, 4, 'binary'), { batchSize: 2 })
        .pipe(gradients(m.loss, m.params), learningRate(s, { initial: 0.1 }), optimize(sgd()), applyUpdates(m.params))
        .subscribe({ error: () => undefined });
      sub.unsubscribe();
    });
    m.dispose();
  });
});
