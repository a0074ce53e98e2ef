import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { addUpdates, adam, disposeReplaced, disposeTree, sgd, tensorsIn, type Tensors, type Transform } from '../../src/index';
import { hasInPlace, type InPlaceTransform } from '../../src/optimizers/fusedChain';
import { SIMD_KERNELS } from '../../src/kernels/wasm/simdKernels';
import { FUSED_CONFIGS, randomGrads, randomParams } from './configs';

/** The id the next tensor gets (tfjs numbers tensors in creation order); the probe is freed. */
function nextTensorId(): number {
  const probe = tf.scalar(0);
  const id = probe.id + 1;
  probe.dispose();
  return id;
}

/**
 * `updates` updates the way `optimize` + `applyUpdates` make them on state `optimize` owns
 * (`updateInPlace`, the superseded state freed, `addUpdates`, the updates freed), with the
 * gradients g and −g in turn (a steady state for every optimizer). After `warmup` updates, records
 * for each update the tensors created, `tf.memory()`'s tensors and bytes, the state's tensor
 * objects and the distinct array buffers the updates and parameters use.
 */
function inPlaceRun(opt: InPlaceTransform<any>, params: Record<string, tf.Variable>, g: Tensors, updates: number, warmup = 3) {
  const negated = tf.tidy(() => Object.fromEntries(Object.entries(g).map(([k, t]) => [k, tf.neg(t)])));
  let state = opt.init(params);
  const created: number[] = [];
  const tensors: number[] = [];
  const bytes: number[] = [];
  const stateTensors = new Set<tf.Tensor>();
  const buffers = new Set<ArrayBufferLike>();
  for (let t = 1; t <= warmup + updates; t++) {
    const first = nextTensorId();
    const r = opt.updateInPlace(t % 2 ? g : negated, state, params, { step: t });
    disposeReplaced(state, r.state);
    state = r.state;
    addUpdates(params, r.updates);
    if (t > warmup) for (const name of Object.keys(params)) buffers.add(r.updates[name].dataSync().buffer).add(params[name].dataSync().buffer);
    disposeTree(r.updates);
    if (t <= warmup) continue;
    created.push(nextTensorId() - first - 1); // − 1: the closing probe itself
    tensors.push(tf.memory().numTensors);
    bytes.push(tf.memory().numBytes);
    for (const s of tensorsIn(state)) stateTensors.add(s);
  }
  const stateNow = tensorsIn(state).length;
  disposeTree([state, negated]);
  return { created, tensors, bytes, stateTensors: stateTensors.size, stateNow, buffers: buffers.size };
}

function variables(ts: Tensors): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, t] of Object.entries(ts)) out[name] = tf.variable(t);
  disposeTree(ts);
  return out;
}

describe('the in-place kernel path allocates nothing per update in steady state', () => {
  // Per update and parameter exactly one tensor is made, over a recycled array: the update (u, for
  // the step's norms and the user's operators), which the caller frees. The parameter's new value
  // (x + u, staged by the kernel in a recycled array) becomes its storage by a swap in addUpdates
  // (the parameter owns its storage: no tensor), the replaced array the next spare. The moments
  // are written in place: the state keeps the same tensor objects.
  for (const [name, make] of Object.entries(FUSED_CONFIGS)) {
    it(`${name}: 5,000 updates — 1 tensor per parameter and update, tf.memory() flat, the same state tensors, at most 4 buffers per parameter`, () => {
      const start = tf.memory().numTensors;
      const opt = make('auto');
      expect(hasInPlace(opt)).toBe(true);
      const params = variables(randomParams(3));
      const g = randomGrads(params, 11)(1);
      const r = inPlaceRun(opt as InPlaceTransform<any>, params, g, 5000);
      const n = Object.keys(params).length;
      expect(new Set(r.created)).toEqual(new Set([n]));
      expect(new Set(r.tensors).size).toBe(1);
      expect(new Set(r.bytes).size).toBe(1);
      expect(r.stateTensors).toBe(r.stateNow);
      expect(r.buffers).toBeLessThanOrEqual(4 * n);
      disposeTree([params, g]);
      expect(tf.memory().numTensors).toBe(start);
    });
  }

  // The SIMD kernels (adam, sgd with momentum) from SIMD_KERNELS.minSize values on: the buffers
  // are the regions of one WebAssembly arena per parameter, recycled the same way; x + u, a region
  // of the arena, is assigned as a tensor (addUpdates swaps only whole arrays of the JS heap).
  const simd: [string, () => Transform<any>][] = [
    ['adam', () => adam({ lr: 1e-3 })],
    ['sgd momentum', () => sgd({ lr: 1e-3, momentum: 0.9 })],
  ];
  for (const [name, make] of simd) {
    it(`${name} on the SIMD kernel (${SIMD_KERNELS.minSize} values): 500 updates, the same guarantees`, () => {
      const start = tf.memory().numTensors;
      const size = SIMD_KERNELS.minSize;
      const params = variables({ w: tf.randomNormal([size], 0, 1, 'float32', 1) });
      const g = { w: tf.randomNormal([size], 0, 1, 'float32', 2) };
      const r = inPlaceRun(make() as InPlaceTransform<any>, params, g, 500);
      expect(new Set(r.created)).toEqual(new Set([2]));
      expect(new Set(r.tensors).size).toBe(1);
      expect(new Set(r.bytes).size).toBe(1);
      expect(r.stateTensors).toBe(r.stateNow);
      // All in one arena of 8 regions (g's copy, x + u, u, x's copy, the moments …): one buffer.
      expect(r.buffers).toBe(1);
      disposeTree([params, g]);
      expect(tf.memory().numTensors).toBe(start);
    });
  }
});
