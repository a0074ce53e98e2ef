import { lastValueFrom, map, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { accuracy, lastValue, logLoss, logisticRegression, mae, mlp, noChange, rmse, sgd } from '../../src/index';
import type { ExampleTable } from '../../src/online/ExampleTable';
import type { Model } from '../../src/models/Model';
import { replay } from '../../streams/sources/replay';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { gradients } from '../../streams/operators/gradients';
import { optimize } from '../../streams/operators/optimize';
import { learningRate } from '../../streams/operators/learningRate';
import { applyUpdates } from '../../streams/operators/applyUpdates';
import { progressiveValidation } from '../../streams/operators/progressiveValidation';
import type { StepResult } from '../../streams/Step';
import { expectNoLeak, marbles } from '../helpers';

/**
 * The fused marbles' three rows, test-then-train from w = 0, b = 0, SGD at lr 1 (see fusedMarbles.test.ts):
 *   step 1: x = [1, 2], y = 1: p = σ(0) = ½, ŷ = 0 (a tie is class 0): wrong; log loss −log ½ = 0.6931
 *   step 2: x = [2, 0], y = 0, w = [0.5, 1], b = 0.5: z = 1.5, p = 0.817574, ŷ = 1: wrong; −log(1 − p) = 1.7014
 *   step 3: x = [0, 1], y = 1, w = [−1.135149, 1], b = −0.317574: z = 0.682426, p = 0.664275, ŷ = 1: right; −log p = 0.4091
 * accuracy 0, 0, 1/3; mean log loss 0.6931, (0.6931 + 1.7014)/2 = 1.1973, (… + 0.4091)/3 = 0.9345
 */
const table: ExampleTable = { n: 3, d: 2, xs: Float32Array.of(1, 2, 2, 0, 0, 1), ys: Float32Array.of(1, 0, 1) };

const show = (r: StepResult) => `${r.online!.metrics!.accuracy.toFixed(4)}:${r.online!.metrics!.logLoss.toFixed(4)}:${r.info.fused}`;

/** n rows of d features ~ U(−1, 1) (seeded), labels from `label`. */
function rows(n: number, d: number, label: (x: Float32Array) => number): ExampleTable {
  const rand = mulberry32(5);
  const xs = new Float32Array(n * d).map(() => rand() * 2 - 1);
  const ys = new Float32Array(n).map((_, i) => label(xs.subarray(i * d, (i + 1) * d)));
  return { n, d, xs, ys };
}

/** Test-then-train of `model` on `t`, fused (fast 'auto') or on the general tfjs path; every result and the final parameters. */
async function run(make: () => Model, t: ExampleTable, options: Parameters<typeof progressiveValidation>[1], fast: 'auto' | false) {
  const model = make();
  const results = await lastValueFrom(
    replay(t, { batchSize: 1 }).pipe(
      progressiveValidation(model, options),
      gradients(model.loss, model.params, { fast }),
      optimize(sgd({ lr: 0.1 })),
      applyUpdates(model.params),
      toArray(),
    ),
  );
  const params = Object.values(model.params).flatMap((p) => Array.from(p.dataSync()));
  model.dispose();
  return { results, params };
}

/** |a − b| ≤ 1e-6·max(|a|, |b|) + 1e-6 for every pair (the general path's losses are float32 tfjs arithmetic). */
function expectClose(a: readonly number[], b: readonly number[], what: string): void {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    if (!(Math.abs(v - b[i]) <= 1e-6 * Math.max(Math.abs(v), Math.abs(b[i])) + 1e-6)) throw new Error(`${what}[${i}]: ${v} vs ${b[i]}`);
  });
}

describe('progressiveValidation on the fused path (scores from the analytic pass, shared with the step)', () => {
  it('hand-derived metrics per step (marbles), no leak', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(() =>
      marbles().run(({ expectObservable }) => {
        const out = replay(table, { batchSize: 1 }).pipe(progressiveValidation(m, { metrics: [accuracy(), logLoss()] }), gradients(m.loss, m.params), optimize(sgd({ lr: 1 })), applyUpdates(m.params), map(show));
        expectObservable(out).toBe('(abc|)', { a: '0.0000:0.6931:1', b: '0.0000:1.1973:1', c: '0.3333:0.9345:1' });
      }),
    );
    m.dispose();
  });

  it('take(2): exactly two examples scored and learned, no leak', async () => {
    const m = logisticRegression(2);
    await expectNoLeak(async () => {
      const out = await lastValueFrom(replay(table, { batchSize: 1 }).pipe(progressiveValidation(m, { metrics: [accuracy(), logLoss()] }), gradients(m.loss, m.params), optimize(sgd({ lr: 1 })), applyUpdates(m.params), take(2), map(show), toArray()));
      expect(out).toEqual(['0.0000:0.6931:1', '0.0000:1.1973:1']);
    });
    // Two steps learned (fusedMarbles.test.ts): w = [−1.135149, 1], b = −0.317574.
    expect(m.params.b.dataSync()[0]).toBeCloseTo(-0.317574, 5);
    m.dispose();
  });

  it('logistic regression: the same metrics, baselines, losses and parameters as the general path (1e-6)', async () => {
    const t = rows(400, 8, (x) => (x[0] + x[3] - x[5] > 0 ? 1 : 0));
    const make = () => logisticRegression(8);
    const options = () => ({ metrics: [accuracy(), logLoss()], baselines: [noChange()] });
    const fused = await run(make, t, options(), 'auto');
    const general = await run(make, t, options(), false);
    expect(fused.results.every((r) => r.info.fused === 1)).toBe(true);
    expect(general.results.some((r) => r.info.fused === 1)).toBe(false);
    expect(fused.results.map((r) => r.online!.metrics!.accuracy)).toEqual(general.results.map((r) => r.online!.metrics!.accuracy));
    expectClose(fused.results.map((r) => r.online!.metrics!.logLoss), general.results.map((r) => r.online!.metrics!.logLoss), 'logLoss');
    expect(fused.results.map((r) => r.online!.baselines)).toEqual(general.results.map((r) => r.online!.baselines));
    expectClose(fused.results.map((r) => r.loss), general.results.map((r) => r.loss), 'loss');
    expectClose(fused.params, general.params, 'params');
  });

  it('a parameter whose storage another tensor shares (a clone held during the run): scored from its values, the same metrics and parameters as the general path', async () => {
    // The scorer and the trainer read a parameter's storage through its one StorageSlot; with a
    // clone alive the storage is shared: the slot answers undefined, both read through tfjs, and
    // the first step assigns the parameter a storage of its own (which the slot follows from then
    // on) instead of writing into the shared one. The clone must keep its values and the results
    // must not change (fails if the sharing check is dropped: the clone then sees the updates).
    const t = rows(200, 8, (x) => (x[1] - x[2] > 0 ? 1 : 0));
    const make = () => logisticRegression(8);
    const options = () => ({ metrics: [accuracy(), logLoss()] });
    const shared = async (fast: 'auto' | false) => {
      const model = make();
      const clone = model.params.w.clone();
      const results = await lastValueFrom(
        replay(t, { batchSize: 1 }).pipe(progressiveValidation(model, options()), gradients(model.loss, model.params, { fast }), optimize(sgd({ lr: 0.1 })), applyUpdates(model.params), toArray()),
      );
      // The clone kept the initial values (zeros): the steps never wrote into the storage it shares.
      expect(Array.from(clone.dataSync()).every((v) => v === 0)).toBe(true);
      clone.dispose();
      const params = Object.values(model.params).flatMap((p) => Array.from(p.dataSync()));
      model.dispose();
      return { results, params };
    };
    const fused = await shared('auto');
    const general = await run(make, t, options(), false);
    expect(fused.results.every((r) => r.info.fused === 1)).toBe(true);
    expect(fused.results.map((r) => r.online!.metrics!.accuracy)).toEqual(general.results.map((r) => r.online!.metrics!.accuracy));
    expectClose(fused.results.map((r) => r.online!.metrics!.logLoss), general.results.map((r) => r.online!.metrics!.logLoss), 'logLoss');
    expectClose(fused.params, general.params, 'params');
  });

  it('a linear output (one layer): the same mae, rmse, losses and parameters as the general path (1e-6)', async () => {
    const t = rows(300, 4, (x) => 2 * x[0] - x[1] + 0.5);
    const make = () => mlp([4, 1], { output: 'linear', seed: 3 });
    const options = () => ({ metrics: [mae(), rmse()], baselines: [lastValue()] });
    const fused = await run(make, t, options(), 'auto');
    const general = await run(make, t, options(), false);
    expect(fused.results.every((r) => r.info.fused === 1)).toBe(true);
    expectClose(fused.results.map((r) => r.online!.metrics!.mae), general.results.map((r) => r.online!.metrics!.mae), 'mae');
    expectClose(fused.results.map((r) => r.online!.metrics!.rmse), general.results.map((r) => r.online!.metrics!.rmse), 'rmse');
    expect(fused.results.map((r) => r.online!.baselines)).toEqual(general.results.map((r) => r.online!.baselines));
    expectClose(fused.results.map((r) => r.loss), general.results.map((r) => r.loss), 'loss');
    expectClose(fused.params, general.params, 'params');
  });

  it('a model other than the one trained is scored with its own parameters (never the trained model’s)', async () => {
    // `watched` keeps w = 0, b = 0: every score is [½, ½], ŷ = 0, so its accuracy after t examples is the share of
    // labels 0 among them: table's labels 1, 0, 1 give 0, 1/2, 1/3.
    const watched = logisticRegression(2);
    const trained = logisticRegression(2);
    const out = await lastValueFrom(
      replay(table, { batchSize: 1 }).pipe(
        progressiveValidation(watched, { metrics: [accuracy()] }),
        gradients(trained.loss, trained.params),
        optimize(sgd({ lr: 1 })),
        applyUpdates(trained.params),
        map((r) => [r.online!.metrics!.accuracy, r.info.fused]),
        toArray(),
      ),
    );
    expect(out).toEqual([
      [0, 1],
      [0.5, 1],
      [1 / 3, 1],
    ]);
    watched.dispose();
    trained.dispose();
  });

  it("each result's hyper is its own record with the values of its step, as on the general path (a schedule changing lr at step 3)", async () => {
    const hypers = async (fast: 'auto' | false) => {
      const m = logisticRegression(2);
      const out = await lastValueFrom(
        replay(table, { batchSize: 1 }).pipe(
          gradients(m.loss, m.params, { fast }),
          learningRate((t: number) => (t < 3 ? 0.5 : 0.25)),
          optimize(sgd({ momentum: 0.9 })),
          applyUpdates(m.params),
          toArray(),
        ),
      );
      m.dispose();
      return out;
    };
    const fused = await hypers('auto');
    const general = await hypers(false);
    expect(fused.map((r) => r.info.fused)).toEqual([1, 1, 1]);
    expect(fused.map((r) => r.hyper)).toEqual(general.map((r) => r.hyper));
    expect(fused.map((r) => r.lr)).toEqual([0.5, 0.5, 0.25]);
    expect(fused[0].hyper).toMatchObject({ lr: 0.5, momentum: 0.9 });
    // Records of equal values are still distinct: changing one changes no other.
    expect(fused[0].hyper).not.toBe(fused[1].hyper);
    (fused[0].hyper as Record<string, number>).lr = 7;
    expect(fused[1].hyper.lr).toBe(0.5);
  });
});
