import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { adam, addUpdates, cloneState, disposeReplaced, disposeTree, logisticRegression } from '../../src/index';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { arrayTrainer } from '../../src/fast/arrayTrainer';
import type { ArrayTransform } from '../../src/optimizers/fusedChain';
import { isArenaBuffer } from '../../src/kernels/wasm/simdKernels';
import { mulberry32 } from '../../streams/sources/mulberry32';

// A parameter the general path left in a SIMD arena (adam in place on cpu, 4,096 values) is not
// arrayTrainer's to swap: the arena's regions are handed out by rxgrad itself. The fused step
// assigns it a storage of its own, and computes what it computes for the same values elsewhere.
it('a parameter living in a SIMD arena: the next arrayTrainer step assigns it its own storage, bit for bit as on a parameter outside the arena', () => {
  const start = tf.memory().numTensors;
  const d = 4096;
  const rand = mulberry32(3);
  const x = Float32Array.from({ length: d }, () => rand() * 2 - 1);
  const m = logisticRegression(d);
  const opt = adam({ lr: 0.01 }) as ArrayTransform<unknown[]>;
  let state = opt.init(m.params);
  // Two general-path updates (updateInPlace + addUpdates, as optimize + applyUpdates make them).
  for (let t = 1; t <= 2; t++) {
    const g = { w: tf.tidy(() => tf.tensor(x, [d, 1]).mul(0.1 * t)), b: tf.tensor([0.5]) };
    const r = opt.updateInPlace(g, state, m.params, { step: t });
    disposeReplaced(state, r.state);
    state = r.state;
    addUpdates(m.params, r.updates);
    disposeTree([g, r.updates]);
  }
  expect(isArenaBuffer(m.params.w.dataSync().buffer)).toBe(true);
  // The same values and state on parameters outside any arena.
  const m2 = logisticRegression(d);
  for (const name of ['w', 'b'] as const) {
    const t = tf.tensor(Float32Array.from(m.params[name].dataSync()), m.params[name].shape);
    m2.params[name].assign(t);
    t.dispose();
  }
  const state2 = cloneState(state);
  const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
  const opt2 = adam({ lr: 0.01 }) as ArrayTransform<unknown[]>;
  const trainer2 = arrayTrainer(analyticOf(m2.loss)!, m2.params, opt2);
  let s2: unknown[] = state2;
  // Steps 3 and 4: leaving the arena, then the steady state on storage of its own.
  for (let t = 3; t <= 4; t++) {
    const r = trainer.step(state, x, [t % 2], 1, { step: t, epoch: 1, hyper: {} });
    const r2 = trainer2.step(s2, x, [t % 2], 1, { step: t, epoch: 1, hyper: {} });
    if ('refused' in r || 'refused' in r2) throw new Error('refused');
    expect(isArenaBuffer(m.params.w.dataSync().buffer)).toBe(false);
    expect(Array.from(m.params.w.dataSync())).toEqual(Array.from(m2.params.w.dataSync()));
    expect(Array.from(m.params.b.dataSync())).toEqual(Array.from(m2.params.b.dataSync()));
    expect([r.loss, r.gradNorm, r.updateNorm]).toEqual([r2.loss, r2.gradNorm, r2.updateNorm]);
    if (r.replaced) disposeReplaced(state, r.state);
    if (r2.replaced) disposeReplaced(s2, r2.state);
    state = r.state;
    s2 = r2.state;
  }
  trainer.dispose();
  trainer2.dispose();
  disposeTree([state, s2]);
  m.dispose();
  m2.dispose();
  expect(tf.memory().numTensors).toBe(start);
});
