import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { benchInPlace } from '../../bench/optimizers';
import { cpuMs } from '../../bench/measure';

afterAll(async () => {
  await tf.setBackend('cpu');
});

// The short CI version of `npm run bench`'s in-place table (and of `--backend wasm`'s, where the
// kernels run on the wasm heap): it runs every variant (JS kernel, the JS kernel on arrays as the
// fused path runs it, SIMD kernel, plain loop, tf.train) and reports a complete row; it never
// fails on timing. Samples and warm-up kept short (1 ms, 2 ms): the rows are complete, not precise.
describe.each(['cpu', 'wasm'])('on %s', (backend) => {
  it('the in-place update benchmark runs every variant at small sizes and leaves no tensor of its own behind', async () => {
    await tf.setBackend(backend);
    await tf.ready();
    const before = tf.memory().numTensors;
    const rows = await benchInPlace(1, [1e3, 4096], cpuMs, 1, 2);
    expect(rows.map((r) => [r.name, r.size])).toEqual([
      ['adam', 1e3],
      ['momentum 0.9', 1e3],
      ['adam', 4096],
      ['momentum 0.9', 4096],
    ]);
    for (const r of rows) for (const v of [r.js, r.arrays, r.simd, r.plain, r.tfjs, r.jsPlain, r.arraysPlain, r.simdPlain, r.autoTfjs]) expect(v).toBeGreaterThan(0);
    // tf.train.momentum keeps its momentum scalar after dispose() (tfjs 4.22): one tensor per momentum row, none of rxgrad's or the loop's.
    expect(tf.memory().numTensors - before).toBe(2);
  });
});
