import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { adam, adamw, addUpdates, disposeReplaced, disposeTree, sgd, values, type Tensors, type Transform } from '../../src/index';
import type { InPlaceTransform } from '../../src/optimizers/fusedChain';
import { SIMD_KERNELS, simdKernelsFor } from '../../src/kernels/wasm/simdKernels';
import { generatedSource } from '../../scripts/buildWasm';
import { expectClose } from '../src/helpers';
import { mulberry32 } from '../../streams/sources/mulberry32';
import { runOwned } from './runOwned';
import { camel, torchReference as ref } from './torchReference';

const DEFAULT_MIN = SIMD_KERNELS.minSize;
afterEach(() => {
  SIMD_KERNELS.minSize = DEFAULT_MIN;
});

it('the committed module is simdKernels.wat as wabt assembles it today (npm run build:wasm)', async () => {
  expect(readFileSync(new URL('../../src/kernels/wasm/simdKernelsBinary.ts', import.meta.url), 'utf8')).toBe(await generatedSource());
});

/** `runOwned`, and whether the SIMD kernel held the parameters after each step. */
function runOwnedSimd(opt: Transform<any>, inPlace: boolean, params0: Tensors, grads: (t: number) => Tensors, steps: number) {
  const simd: boolean[] = [];
  const xs = runOwned(opt, inPlace, params0, grads, steps, (params) => simd.push(Object.values(params).every((p) => simdKernelsFor([values(p)]) !== undefined)));
  return { xs, simd };
}

describe('conformance with PyTorch on the SIMD path (torch_reference.json, its 6 values tiled 4 times: 24, a multiple of 4)', () => {
  const make: Record<string, (o: Record<string, unknown>) => Transform<any>> = { SGD: sgd, Adam: adam, AdamW: adamw };
  const tile = (rows: number[][]) => [0, 1, 2, 3].flatMap(() => rows.flat());
  for (const [name, cfg] of Object.entries(ref.optimizers)) {
    if (!make[cfg.torch]) continue;
    const simdRuns = cfg.kwargs.amsgrad !== true && (cfg.torch !== 'SGD' || cfg.kwargs.momentum !== undefined);
    it(`${name}: ${cfg.torch}(${JSON.stringify(cfg.kwargs)}) matches every one of 40 steps to 1e-5 rel + 1e-6 abs${simdRuns ? ', in SIMD from step 2' : ' (no SIMD kernel: in place in JS)'}`, () => {
      SIMD_KERNELS.minSize = 4;
      const x0 = { x: tf.tensor(tile(ref.p0)) };
      const r = runOwnedSimd(make[cfg.torch](camel(cfg.kwargs)), true, x0, (t) => ({ x: tf.tensor(tile(ref.grads[t - 1])) }), ref.grads.length);
      r.xs.forEach(([x], i) => expectClose(x, tile(cfg.params[i]), `${name} step ${i + 1}`));
      expect(r.simd.slice(1).every((s) => s === simdRuns)).toBe(true);
      disposeTree(x0);
    });
  }
});

describe('the SIMD kernels agree with the pure kernels', () => {
  /**
   * The SIMD kernels round every operation to float32 (the pure ones compute in float64 and round
   * once): |simd − pure| ≤ 1e-6 · max_t ‖x_t‖∞, as agreement.test.ts allows the chain.
   */
  const configs: Record<string, () => Transform<any>> = {
    adam: () => adam({ lr: 0.01 }),
    'adam + weight decay': () => adam({ lr: 0.01, weightDecay: 0.1 }),
    adamw: () => adamw({ lr: 0.01, weightDecay: 0.1 }),
    'sgd momentum + dampening': () => sgd({ lr: 0.05, momentum: 0.9, dampening: 0.5 }),
    'sgd nesterov + weight decay': () => sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
  };
  const rand = mulberry32(21);
  const params = { a: tf.tensor(Array.from({ length: 4096 }, () => rand() * 4 - 2)), b: tf.tensor(Array.from({ length: 8192 }, () => rand() * 4 - 2), [64, 128]) };
  const grads = (seed: number) => {
    const r = mulberry32(seed);
    return (): Tensors => {
      const scale = 10 ** (r() * 4 - 2);
      return { a: tf.tensor(Array.from({ length: 4096 }, () => (r() * 2 - 1) * scale)), b: tf.tensor(Array.from({ length: 8192 }, () => (r() * 2 - 1) * scale), [64, 128]) };
    };
  };
  for (const [name, make] of Object.entries(configs)) {
    it(`${name}: 2 parameters (4096 and 64×128 values), gradients over four decades, 40 steps`, () => {
      const simd = runOwnedSimd(make(), true, params, grads(5), 40);
      const pure = runOwnedSimd(make(), false, params, grads(5), 40);
      expect(simd.simd.slice(1).every(Boolean)).toBe(true);
      [0, 1].forEach((k) => {
        const scale = pure.xs.reduce((s, x) => x[k].reduce((a, v) => Math.max(a, Math.abs(v)), s), 0);
        pure.xs.forEach((x, i) => expectClose(simd.xs[i][k], x[k], `${name} step ${i + 1} param ${k}`, 0, 1e-6 * scale));
      });
    });
  }

  it('leaks nothing and reuses its arena: tf.memory().numTensors flat over 60 updates, parameters in at most 3 arenas', () => {
    const opt = adam({ lr: 0.01 }) as InPlaceTransform<any>;
    const x = { a: tf.variable(params.a.clone()) };
    const g = { a: params.a.mul(0.1) };
    let state = opt.init(x);
    const start = tf.memory().numTensors;
    const buffers = new Set<ArrayBufferLike>();
    for (let t = 1; t <= 60; t++) {
      const r = opt.updateInPlace(g, state, x, { step: t });
      disposeReplaced(state, r.state);
      state = r.state;
      addUpdates(x, r.updates);
      disposeTree(r.updates);
      expect(tf.memory().numTensors).toBe(start);
      buffers.add(values(x.a).buffer);
    }
    expect(buffers.size).toBeLessThanOrEqual(3);
    disposeTree([state, x, g]);
  });
});
