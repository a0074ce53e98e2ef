/**
 * `npm run bench -- --torch`: PyTorch's times for the workloads of `npm run bench`, beside
 * rxgrad's, measured in the same run. PyTorch runs bench/torch_bench.py in a child process (one
 * thread, the same data sizes; see that file); it is never a dependency of rxgrad or its tests.
 * When the Python (`--python`, default `python3`) is missing or cannot import torch, the
 * comparison says so and nothing else fails.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { lastValueFrom } from 'rxjs';
import { adam, sgd, type Transform } from '../src/index';
import { linearRegression } from '../src/models/linearRegression';
import { airfoil } from '../streams/sources/airfoil';
import { minibatches } from '../streams/sources/minibatches';
import { gradients } from '../streams/operators/gradients';
import { optimize } from '../streams/operators/optimize';
import { applyUpdates } from '../streams/operators/applyUpdates';
import { median, samples } from './measure';
import { IN_PLACE_PAIRS, inPlaceRunner } from './optimizers';
import { SIMD_KERNELS } from '../src/kernels/wasm/simdKernels';

/** PyTorch's figures by workload (ms per step or update; examples/s for `online-logistic`). */
export interface TorchRun {
  readonly version: string;
  readonly figures: Readonly<Record<string, number>>;
}

/**
 * Run bench/torch_bench.py with `python` for `workloads` (airfoil, online, adam, mlp) and
 * `rounds`; its figures, or why there are none (a sentence).
 *
 * @example
 * const t = torchFigures('python3', ['mlp'], 5); // { version, figures: { mlp: 3.4 } } or 'PyTorch figures skipped: …'
 */
export function torchFigures(python: string, workloads: readonly string[], rounds: number): TorchRun | string {
  const script = fileURLToPath(new URL('./torch_bench.py', import.meta.url));
  const r = spawnSync(python, [script, workloads.join(','), String(rounds)], {
    encoding: 'utf8',
    timeout: 30 * 60_000,
    // One thread everywhere, whichever BLAS the torch build uses.
    env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' },
  });
  if (r.error) return `PyTorch figures skipped: ${python} could not run (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); pass --python <path to a python3 with torch>.`;
  if (r.status !== 0) {
    if (/No module named 'torch'/.test(r.stderr)) return `PyTorch figures skipped: ${python} cannot import torch (pip install torch, or pass --python <a python3 that has it>).`;
    return `PyTorch figures skipped: bench/torch_bench.py failed (exit ${r.status}): ${r.stderr.trim().split('\n').pop()}`;
  }
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { torch: string; figures: Record<string, number> };
  return { version: out.torch, figures: out.figures };
}

/**
 * rxgrad's airfoil step through the whole pipeline (minibatches → gradients → optimize →
 * applyUpdates, batch 10, the loss read back as a StepResult per step): ms per step, medians of
 * `rounds` whole epochs (after one), with `transform` as the optimizer.
 *
 * @example
 * await airfoilStep(AIRFOIL_OPTIMIZERS.adam, 7); // ms per step
 */
export async function airfoilStep(transform: () => Transform<unknown>, rounds: number): Promise<number> {
  const data = airfoil();
  const epoch = async () => {
    const model = linearRegression(5, { seed: 1 });
    const t0 = performance.now();
    const last = await lastValueFrom(
      minibatches(data, { batchSize: 10, shuffle: true, seed: 1 }).pipe(gradients(model.loss, model.params), optimize(transform()), applyUpdates(model.params)),
    );
    model.dispose();
    return (performance.now() - t0) / last.step;
  };
  return median((await samples({ epoch }, rounds)).epoch);
}

/**
 * rxgrad's Adam update (lr 1e-3, eps 1e-7) at `size` values as `optimize` + `applyUpdates` make
 * it on the state they own (`updateInPlace` + `addUpdates`: in place, the SIMD kernel from
 * `SIMD_KERNELS.minSize` values on), like PyTorch's in-place `optimizer.step()`: ms per update,
 * median of `rounds`.
 *
 * @example
 * await adamUpdate(1e6, 7); // ms per update
 */
export async function adamUpdate(size: number, rounds: number): Promise<number> {
  const g = tf.randomNormal([size], 0, 1, 'float32', 2);
  const runner = inPlaceRunner(IN_PLACE_PAIRS.find((p) => p.name === 'adam')!, SIMD_KERNELS.minSize, size, g);
  const ms = median((await samples({ run: runner.run }, rounds)).run);
  runner.dispose();
  g.dispose();
  return ms;
}

/** The optimizers of the airfoil workloads: the book's SGD lr 0.05 and Adam lr 0.01. */
export const AIRFOIL_OPTIMIZERS = { sgd: () => sgd({ lr: 0.05 }), adam: () => adam({ lr: 0.01 }) } as const;
