/**
 * `npm run bench -- --online`: examples/s of online logistic regression (100 features, batch 1,
 * test-then-train, plain SGD) through rxgrad's public API, beside a hand-written plain-JS loop
 * doing the same arithmetic, in interleaved rounds of the same run.
 */
import { lastValueFrom } from 'rxjs';
import { accuracy, logisticRegression, sgd } from '../src/index';
import type { ExampleTable } from '../src/online/ExampleTable';
import { applyUpdates, gradients, mulberry32, optimize } from '../streams/index';
import { progressiveValidation } from '../streams/operators/progressiveValidation';
import { replay } from '../streams/sources/replay';
import { median, pairedRatio, samples } from './measure';

/** Examples per second of each path (medians over rounds) and their paired ratio. */
export interface OnlineFigures {
  readonly rxgrad: number;
  readonly plain: number;
  /** Median over rounds of plain / rxgrad (how many times faster the plain loop is). */
  readonly ratio: number;
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
 * Measure both paths in `rounds` interleaved rounds (after one warm-up each): rxgrad replays
 * `examples` rows, the plain loop 100 times as many (so that each timing is long enough).
 *
 * @example
 * const f = await benchOnline(7, 2000); // f.rxgrad, f.plain examples/s; f.ratio
 */
export async function benchOnline(rounds: number, examples: number): Promise<OnlineFigures> {
  const d = 100;
  const lr = 0.1;
  const table = stream(examples, d);
  const passes = 100;
  const times = await samples(
    {
      rxgrad: async () => {
        const model = logisticRegression(d);
        const t0 = performance.now();
        await lastValueFrom(
          replay(table, { batchSize: 1 }).pipe(
            progressiveValidation(model, { metrics: [accuracy()] }),
            gradients(model.loss, model.params),
            optimize(sgd({ lr })),
            applyUpdates(model.params),
          ),
        );
        const ms = performance.now() - t0;
        model.dispose();
        return ms / examples;
      },
      plain: () => {
        const t0 = performance.now();
        plainLoop(table, passes, lr);
        return (performance.now() - t0) / (examples * passes);
      },
    },
    rounds,
  );
  return { rxgrad: 1000 / median(times.rxgrad), plain: 1000 / median(times.plain), ratio: pairedRatio(times.rxgrad, times.plain) };
}
