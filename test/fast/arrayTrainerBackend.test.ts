import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, expect, it } from 'vitest';
import { adam, disposeReplaced, disposeTree, logisticRegression } from '../../src/index';
import { analyticOf } from '../../src/fast/AnalyticLoss';
import { arrayTrainer } from '../../src/fast/arrayTrainer';
import type { ArrayTransform } from '../../src/optimizers/fusedChain';
import { heapOffset, wasmHeap } from '../../src/kernels/wasm/wasmHeap';

afterAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Eight adam steps of logistic regression (3 features, two alternating examples) through one
 * `arrayTrainer`, switching between cpu and wasm before the steps in `switchAt`: each step's
 * parameters, loss and update norm, and the steps after which w's storage was in the wasm heap.
 */
async function run(switchAt: number[]): Promise<{ out: number[][]; inHeap: number[] }> {
  await tf.setBackend('cpu');
  const m = logisticRegression(3);
  const opt = adam({ lr: 0.1 }) as ArrayTransform<unknown[]>;
  const trainer = arrayTrainer(analyticOf(m.loss)!, m.params, opt);
  let state = opt.init(m.params);
  const xs = [Float32Array.of(1, 2, -1), Float32Array.of(0.5, -1, 2)];
  const out: number[][] = [];
  const inHeap: number[] = [];
  for (let t = 1; t <= 8; t++) {
    if (switchAt.includes(t)) await tf.setBackend(tf.getBackend() === 'cpu' ? 'wasm' : 'cpu');
    const r = trainer.step(state, xs[t % 2], [t % 2], 1, { step: t, epoch: 1, hyper: {} });
    if ('refused' in r) throw new Error(`refused: ${r.refused} ${r.name}`);
    if (r.replaced) disposeReplaced(state, r.state);
    state = r.state;
    const heap = wasmHeap();
    if (heap !== undefined && heapOffset(heap, m.params.w) !== undefined) inHeap.push(t);
    out.push([...m.params.w.dataSync(), ...m.params.b.dataSync(), r.loss, r.updateNorm]);
  }
  trainer.dispose();
  disposeTree(state);
  m.dispose();
  await tf.setBackend('cpu');
  return { out, inHeap };
}
// arrayTrainer's storage swap (StorageSlot) holds on cpu only: a switch to wasm mid-run reads and
// assigns copies, and back on cpu the parameters' new storage is owned again. The same JavaScript
// kernels run on the same float32 values either way, so the results are identical.
it('a backend switch mid-run (cpu → wasm at step 3, back at step 6) gives the same steps bit for bit as a run on cpu', async () => {
  const onCpu = await run([]);
  const switched = await run([3, 6]);
  expect(switched.inHeap).toEqual([3, 4, 5]); // the parameters were assigned on wasm there
  expect(switched.out).toEqual(onCpu.out);
  expect(tf.getBackend()).toBe('cpu');
});
